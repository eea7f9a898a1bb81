"""seamless-init and seamless-service-resolve."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import demo_cluster, write_yaml

from seamless_config import pure_daskserver, select
from seamless_config.cli import init as init_cli
from seamless_config.cli import service_resolve


@pytest.mark.parametrize(
    "module", ["seamless_config.cli.init", "seamless_config.cli.service_resolve"]
)
def test_help(module) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "usage:" in proc.stdout and "--stage" in proc.stdout


def test_parse_stage() -> None:
    assert init_cli.parse_stage("a:b") == ("a", "b")
    assert init_cli.parse_stage("a:") == ("a", None)
    assert init_cli.parse_stage("a:b:c") == ("a", "b:c")
    with pytest.raises(SystemExit) as info:
        init_cli.main(["--stage", ":b"])
    assert info.value.code == 2


def test_init_skips_with_remote_clients(monkeypatch, remote_stub) -> None:
    monkeypatch.setenv("SEAMLESS_REMOTE_CLIENTS", "{}")
    assert init_cli.main([]) == 0
    assert remote_stub.calls == [] and select.get_stage() is None


def test_init_starts_services(tmp_path, monkeypatch, write_clusters, remote_stub) -> None:
    write_clusters({"demo": demo_cluster(storage=True, daskserver=True)})
    write_yaml(tmp_path / "seamless.yaml", [{"project": "p"}, {"stage run": [{"cluster": "demo"}]}])
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning):
        assert init_cli.main(["--stage", "run:sub"]) == 0
    assert (select.get_stage(), select.get_substage()) == ("run", "sub")
    ensured = [name for name, what, _ in remote_stub.calls if what == "ensure_initialized"]
    assert ensured == ["buffer_remote", "database_remote", "daskserver_remote"]


def test_init_pure_dask_touches_no_seamless_remote(
    tmp_path, monkeypatch, write_clusters, remote_stub
) -> None:
    monkeypatch.setattr(pure_daskserver, "DISABLED", True)
    write_clusters({"demo": demo_cluster(daskserver=True)})
    write_yaml(
        tmp_path / "seamless.yaml",
        [{"project": "p"}, {"cluster": "demo"}, {"persistent": False}, {"execution": "remote"}],
    )
    monkeypatch.chdir(tmp_path)
    assert init_cli.main([]) == 0
    assert pure_daskserver.is_active()
    assert [c for c in remote_stub.calls if c[1] != "deactivate"] == []


def test_init_reports_configuration_errors(tmp_path, monkeypatch, capsys) -> None:
    write_yaml(tmp_path / "seamless.yaml", [{"frobnicate": 1}])
    monkeypatch.chdir(tmp_path)
    assert init_cli.main([]) == 1
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err and str(tmp_path / "seamless.yaml") in err


def resolve(argv: list[str], capsys) -> dict:
    assert service_resolve.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_resolve_hashserver(write_clusters, capsys) -> None:
    write_clusters({"demo": demo_cluster(storage=True)})
    out = resolve(
        [
            "--service",
            "hashserver",
            "--cluster",
            "demo",
            "--project",
            "atlas",
            "--subproject",
            "fold",
            "--stage",
            "gpu",
            "--mode",
            "ro",
        ],
        capsys,
    )
    assert out == {
        "key": "hashserver-demo-ro-atlas--fold--STAGE-gpu",
        "ssh_hostname": "frontend",
        "workdir": "/data/buffers/atlas/fold/STAGE-gpu",
        "log_path": "~/.remote-http-launcher/server/hashserver-demo-ro-atlas--fold--STAGE-gpu.log",
        "service": "hashserver",
        "cluster": "demo",
        "mode": "ro",
        "project": "atlas",
        "subproject": "fold",
        "stage": "gpu",
    }


def test_resolve_jobserver_and_daskservers(write_clusters, capsys) -> None:
    write_clusters({"demo": demo_cluster(jobserver=True, daskserver=True)})
    out = resolve(
        ["--service", "jobserver", "--cluster", "demo", "--project", "p", "--substage", "x"], capsys
    )
    assert out["key"] == "jobserver-demo-rw-pSUBSTAGE-x"
    out = resolve(
        ["--service", "daskserver", "--cluster", "demo", "--project", "p", "--queue", "default"],
        capsys,
    )
    assert out["key"] == "daskserver-demo-rw-p" and out["queue"] == "default"
    out = resolve(["--service", "pure-daskserver", "--cluster", "demo"], capsys)
    assert out["key"] == "pure-daskserver-demo-default" and out["workdir"] == "/tmp"


def test_resolve_seamless_cache(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "cache"))
    out = resolve(["--service", "database", "--project", "SEAMLESS_CACHE"], capsys)
    assert out["key"].startswith("database-__SEAMLESS_CACHE__-") and out["key"].endswith(
        "-rw-__TOPLEVEL__"
    )
    assert out["workdir"] == str(tmp_path / "cache" / "__TOPLEVEL__")
    assert out["ssh_hostname"] is None


def test_resolve_evaluates_stage_blocks(tmp_path, write_clusters, capsys) -> None:
    """Quirk 7.9 fixed: --stage is selected before the command files are read."""
    write_clusters({"demo": demo_cluster(storage=True)})
    write_yaml(
        tmp_path / "seamless.yaml",
        [{"project": "p"}, {"stage s": [{"cluster": "demo"}, {"subproject": "in-stage"}]}],
    )
    out = resolve(["--service", "hashserver", "--workdir", str(tmp_path), "--stage", "s"], capsys)
    assert out["key"] == "hashserver-demo-rw-p--in-stage--STAGE-s"


def test_resolve_errors(capsys, write_clusters) -> None:
    write_clusters({"demo": demo_cluster()})
    assert (
        service_resolve.main(["--service", "hashserver", "--cluster", "demo", "--project", "p"])
        == 1
    )
    assert "no frontend with a hashserver" in capsys.readouterr().err
    assert service_resolve.main(["--service", "hashserver", "--project", "SEAMLESS_CACHE"]) == 1
    assert "SEAMLESS_CACHE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        service_resolve.main(["--service", "nginx"])


def test_console_scripts_declared() -> None:
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts["seamless-init"] == "seamless_config.cli.init:main"
    assert scripts["seamless-service-resolve"] == "seamless_config.cli.service_resolve:main"
