"""Values that remote-http-launcher refuses (a space in a path, a host that is not one) are
refused where they are read, naming the file and entry or the SEAMLESS_CACHE variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import remote_http_launcher
from conftest import demo_cluster, write_yaml

from seamless_config import get_seamless_cache
from seamless_config.cluster import parse_clusters
from seamless_config.errors import ClusterDefinitionError, ConfigurationError, UnsafeValueError
from seamless_config.names import launcher_directory, launcher_host

DIRECTORIES = [
    "/tmp/cache",
    "~/x/y",
    "/data/a-b_c.d/e@f",
    "relative/dir",
    "/tmp/my cache",
    "/tmp/$(touch x)",
    "/tmp/a;b",
    '/tmp/a"b',
    "/tmp/a{b}",
    "/tmp/caf\u00e9",
    "/tmp/a\nb",
    "",
]
HOSTS = [
    "localhost",
    "127.0.0.1",
    "::1",
    "login.example.org",
    "lo",
    "host.",
    "127.0.0.1; touch /tmp/x",
    "-oProxyCommand=touch",
    "user@host",
    "a_b",
    "a..b",
    "-a",
    "",
]


@pytest.mark.parametrize("value", DIRECTORIES)
def test_directory_rule_is_the_launchers(value: str) -> None:
    launcher_accepts = remote_http_launcher.DIRNAME_RE.fullmatch(value) is not None
    try:
        assert launcher_directory(value, what="x") == value
        accepted = True
    except UnsafeValueError:
        accepted = False
    assert accepted == launcher_accepts


@pytest.mark.parametrize("value", HOSTS)
def test_host_rule_is_the_launchers(value: str) -> None:
    launcher_accepts = remote_http_launcher._is_valid_hostname_or_ip(value)
    try:
        assert launcher_host(value, what="x") == value
        accepted = True
    except UnsafeValueError:
        accepted = False
    assert accepted == launcher_accepts


def test_directory_error_names_the_character() -> None:
    with pytest.raises(UnsafeValueError) as info:
        launcher_directory("/tmp/my cache;x", what="bufferdir")
    text = str(info.value)
    assert text.startswith("bufferdir: ") and "' '" in text and "';'" in text
    assert "remote-http-launcher accepts only" in text and "'/tmp/my cache;x'" in text


def _cluster_with(field: str, service: str, value: str) -> dict:
    cluster = demo_cluster(storage=True, jobserver=True)
    cluster["frontends"][0][service][field] = value
    return cluster


@pytest.mark.parametrize(
    ("service", "field", "value", "char"),
    [
        ("hashserver", "bufferdir", "/tmp/my buffers", "' '"),
        ("database", "database_dir", "/tmp/db$(id)", "'$'"),
        ("hashserver", "network_interface", "127.0.0.1; touch /tmp/x", "';'"),
        ("jobserver", "network_interface", "lo cal", "' '"),
    ],
)
def test_cluster_file_entry_is_named(service: str, field: str, value: str, char: str) -> None:
    origin = "/home/u/.seamless/clusters.yaml"
    with pytest.raises(ClusterDefinitionError) as info:
        parse_clusters({"ws": _cluster_with(field, service, value)}, origins={"ws": origin})
    text = str(info.value)
    assert text.startswith(f"{origin}: cluster 'ws'.frontends[0].{service}: {field}: "), text
    assert char in text and repr(value) in text


def test_frontend_hostname_is_checked() -> None:
    cluster = demo_cluster(storage=True)
    cluster["frontends"][0]["ssh_hostname"] = "-oProxyCommand=touch"
    with pytest.raises(ClusterDefinitionError) as info:
        parse_clusters({"ws": cluster}, origins={"ws": "c.yaml"})
    assert "ssh_hostname: not a hostname or IP address" in str(info.value)


@pytest.mark.parametrize("bad", ["my cache", 'a"b', "a$b"])
def test_seamless_cache_names_the_variable(
    bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = str(tmp_path / bad)
    monkeypatch.setenv("SEAMLESS_CACHE", value)
    with pytest.raises(ConfigurationError) as info:
        get_seamless_cache()
    text = str(info.value)
    assert text.startswith(f"SEAMLESS_CACHE={value!r}: ") and "__SEAMLESS_CACHE__" not in text
    assert "may not appear in a service directory" in text


def test_good_seamless_cache_is_returned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "cache"))
    assert get_seamless_cache() == str(tmp_path / "cache")


def _console_script(name: str) -> str:
    path = Path(sys.executable).parent / name
    assert path.is_file(), f"console script {name} is not installed next to {sys.executable}"
    return str(path)


def _run(
    argv: list[str], *, home: Path, cwd: Path, cache: str | None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    if cache is not None:
        env["SEAMLESS_CACHE"] = cache
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=str(cwd))


def _assert_one_line_error(proc: subprocess.CompletedProcess, prog: str, *needles: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("prog", ["seamless-init", "seamless-service-resolve"])
def test_cli_seamless_cache_with_space(prog: str, tmp_path: Path) -> None:
    home = tmp_path / "private-home"
    home.mkdir()
    cache = tmp_path / "my cache"
    cache.mkdir()
    argv = [_console_script(prog)]
    if prog == "seamless-service-resolve":
        argv += ["--service", "hashserver", "--project", "SEAMLESS_CACHE"]
    proc = _run(argv, home=home, cwd=tmp_path, cache=str(cache))
    _assert_one_line_error(proc, prog, f"SEAMLESS_CACHE={str(cache)!r}", "' '")
    assert not (home / ".remote-http-launcher").exists()  # nothing was launched


@pytest.mark.timeout(300)
@pytest.mark.parametrize("prog", ["seamless-init", "seamless-service-resolve"])
def test_cli_bufferdir_with_space(prog: str, tmp_path: Path) -> None:
    home = tmp_path / "private-home"
    frontend = {
        "hostname": "localhost",
        "hashserver": {"bufferdir": str(tmp_path / "my buffers")},
        "database": {"database_dir": str(tmp_path / "db")},
    }
    clusters = write_yaml(
        home / ".seamless" / "clusters.yaml",
        {"ws": {"type": "local", "frontends": [frontend]}},
    )
    project = tmp_path / "proj"
    write_yaml(project / "seamless.yaml", [{"project": "p"}, {"cluster": "ws"}])
    argv = [_console_script(prog)]
    if prog == "seamless-service-resolve":
        argv += ["--service", "hashserver", "--workdir", str(project)]
    proc = _run(argv, home=home, cwd=project, cache=None)
    _assert_one_line_error(
        proc, prog, str(clusters), "cluster 'ws'.frontends[0].hashserver: bufferdir", "' '"
    )
    assert not (home / ".remote-http-launcher").exists()
