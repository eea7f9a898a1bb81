"""The public API is exactly __all__, sorted, and every name imports."""

import subprocess
import sys

import seamless_dask


def test_all_sorted_and_importable() -> None:
    assert seamless_dask.__all__ == sorted(seamless_dask.__all__)
    for name in seamless_dask.__all__:
        assert getattr(seamless_dask, name) is not None


def test_promised_names() -> None:
    from seamless_dask.dummy_scheduler import create_dummy_client, start_dummy_scheduler  # noqa: F401
    from seamless_dask.transformer_client import (  # noqa: F401
        get_seamless_dask_client,
        set_seamless_dask_client,
    )

    for name in (
        "SeamlessDaskClient",
        "set_seamless_dask_client",
        "get_seamless_dask_client",
        "create_dummy_client",
        "start_dummy_scheduler",
        "DummySchedulerHandle",
    ):
        assert name in seamless_dask.__all__


def test_import_is_lazy() -> None:
    code = (
        "import sys, seamless_dask, seamless_dask.wrapper;"
        "bad = [m for m in ('seamless', 'seamless_transformer', 'seamless_remote') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_connect_dask_hook_entry_point() -> None:
    """The one function that connects a Dask client is the ``connect_dask`` hook."""
    from seamless_config.hooks import find_hook, get_hook_registry
    from seamless_dask import connect

    get_hook_registry().reset()
    assert find_hook("connect_dask") is connect
    assert callable(connect.connect_dask_client) and callable(connect.disconnect_dask_client)
