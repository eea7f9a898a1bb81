"""The public API is exactly __all__, sorted, and every name imports."""

import asyncio
import subprocess
import sys

import pytest

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


@pytest.mark.timeout(60)
def test_one_transformation_canceled_error() -> None:
    """seamless_dask's TransformationCanceledError is seamless_remote's: a cancellation reported
    by a (loopback) jobserver is caught through every name."""
    from aiohttp import web

    from seamless_dask import errors as dask_errors
    from seamless_remote import errors as remote_errors
    from seamless_remote import jobserver_remote

    assert dask_errors.TransformationCanceledError is remote_errors.TransformationCanceledError
    assert seamless_dask.TransformationCanceledError is remote_errors.TransformationCanceledError
    assert issubclass(dask_errors.TransformationCanceledError, RuntimeError)
    assert issubclass(dask_errors.TransformationCanceledError, remote_errors.JobserverError)
    tf = "c" * 64

    async def run(request: web.Request) -> web.Response:
        return web.Response(status=200, text=dask_errors.CANCELED_TEXT)

    async def main() -> BaseException:
        app = web.Application()
        app.router.add_get("/run-transformation", run)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        try:
            jobserver_remote.define_jobserver(f"http://127.0.0.1:{port}")
            try:
                await jobserver_remote.run_transformation({}, tf_checksum=tf)
            except seamless_dask.TransformationCanceledError as exc:
                return exc
            raise AssertionError("the canceled job was not reported as canceled")
        finally:
            jobserver_remote.deactivate()
            await runner.cleanup()

    caught = asyncio.run(main())
    assert isinstance(caught, remote_errors.TransformationCanceledError)
    assert caught.tf_checksum == tf and caught.status == 200


def test_errors_all_is_complete() -> None:
    from seamless_dask import errors as dask_errors

    for name in dask_errors.__all__:
        assert getattr(dask_errors, name) is not None, name
    with pytest.raises(AttributeError):
        dask_errors.NoSuchError  # noqa: B018
