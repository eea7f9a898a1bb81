"""The public names: sorted `__all__`, Seamless 1.x names present, import direction."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import seamless_remote

MODULES = [
    "seamless_remote",
    "seamless_remote.buffer_remote",
    "seamless_remote.database_remote",
    "seamless_remote.jobserver_remote",
    "seamless_remote.daskserver_remote",
    "seamless_remote.client",
    "seamless_remote.errors",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name):
    module = importlib.import_module(name)
    assert list(module.__all__) == sorted(module.__all__)
    for public in module.__all__:
        assert getattr(module, public) is not None


def test_seamless_1x_names():
    from seamless_remote import buffer_remote, database_remote

    assert callable(seamless_remote.define_extern_client)
    assert callable(seamless_remote.client.close_all_clients)
    for name in (
        "activate",
        "has_read_server",
        "has_write_server",
        "get_buffer",
        "write_buffer",
        "promise",
        "get_buffer_lengths",
        "inspect_extern_clients",
        "inspect_launched_clients",
    ):
        assert callable(getattr(buffer_remote, name)), name
    for name in (
        "activate",
        "get_transformation_result",
        "set_transformation_result",
        "get_rev_transformations",
        "get_execution_record",
        "set_execution_record",
        "inspect_extern_clients",
        "inspect_launched_clients",
    ):
        assert callable(getattr(database_remote, name)), name
    for module in ("buffer_remote", "database_remote", "jobserver_remote", "daskserver_remote"):
        assert getattr(seamless_remote, module).DISABLED is False
    assert buffer_remote._write_server_clients == []


def test_import_is_light():
    code = (
        "import sys, seamless_remote, seamless_remote.daskserver_remote;"
        "bad = [m for m in ('distributed', 'dask', 'seamless_dask', 'seamless_transformer')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
