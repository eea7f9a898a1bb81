"""JobserverClient protocol handling (pure client logic).

seamless-jobserver is not available to these tests, so a minimal aiohttp app on loopback
answers as the reference protocol says; it checks what the client sends.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from seamless import Checksum

from seamless_remote import jobserver_remote
from seamless_remote.errors import JobserverError, TransformationCanceledError

TF = "a" * 64
RESULT = "b" * 64


async def _serve(replies):
    seen = []

    async def run(request):
        body = await request.json()
        seen.append(body)
        status, text = replies[body["tf_checksum"]]
        stored = {jobserver_remote.STORED_HEADER: "database"} if body["tf_checksum"] == TF else None
        return web.Response(status=status, text=text, headers=stored)

    async def cancel(request):
        return web.json_response({"canceled": True, "status": "canceled"})

    async def status(request):
        return web.json_response({"status": "running"})

    app = web.Application()
    app.router.add_get("/run-transformation", run)
    app.router.add_post("/cancel-transformation/{tf}", cancel)
    app.router.add_get("/transformation-status/{tf}", status)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", seen


def test_run_cancel_status():
    replies = {
        TF: (
            200,
            json.dumps({"result_checksum": RESULT, "record_runtime": {"wall_time_seconds": 1}}),
        ),
        "c" * 64: (200, "Transformation was canceled"),
        "d" * 64: (500, "Traceback: boom"),
        "e" * 64: (200, RESULT),
    }

    async def main():
        runner, url, seen = await _serve(replies)
        try:
            jobserver_remote.define_jobserver(url)
            assert jobserver_remote.has_jobserver()
            answer = await jobserver_remote.run_transformation(
                {"__language__": "python", "a": ["int", None, "f" * 64]},
                tf_checksum=TF,
                scratch=True,
            )
            assert answer["result_checksum"] == Checksum(RESULT)
            assert answer["stored_by_server"] is True
            assert seen[0] == {
                "transformation_dict": {"__language__": "python", "a": ["int", None, "f" * 64]},
                "tf_checksum": TF,
                "tf_dunder": {},
                "scratch": True,
                "strict_dunder": False,
                "record": False,
            }
            with pytest.raises(TransformationCanceledError) as canceled:
                await jobserver_remote.run_transformation({}, tf_checksum="c" * 64)
            assert isinstance(canceled.value, RuntimeError)  # as seamless_dask's was
            assert isinstance(canceled.value, JobserverError)
            assert canceled.value.tf_checksum == "c" * 64
            with pytest.raises(JobserverError, match="boom"):
                await jobserver_remote.run_transformation({}, tf_checksum="d" * 64)
            legacy = await jobserver_remote.run_transformation({}, tf_checksum="e" * 64)
            assert legacy == {"result_checksum": Checksum(RESULT), "stored_by_server": False}
            assert await jobserver_remote.cancel_transformation(TF) is True
            assert await jobserver_remote.transformation_status(TF) == "running"
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_no_jobserver_is_a_clear_error():
    jobserver_remote.deactivate()
    with pytest.raises(JobserverError, match="no jobserver is active"):
        asyncio.run(jobserver_remote.run_transformation({}, tf_checksum=TF))


def test_disabled_and_no_main_do_nothing(monkeypatch):
    jobserver_remote.activate(no_main=True)
    monkeypatch.setattr(jobserver_remote, "DISABLED", True)
    jobserver_remote.activate()
    assert not jobserver_remote.has_jobserver()


def test_1x_extern_jobserver_definition():
    """Seamless 1.x: ``jobserver_remote.define_extern_client("js", "jobserver", url=...)``
    followed by ``jobserver_remote.activate(no_main=True, extern_clients=["js"])``."""
    from seamless_remote import buffer_remote, database_remote

    assert buffer_remote.define_extern_client is jobserver_remote.define_extern_client
    assert database_remote.define_extern_client is jobserver_remote.define_extern_client

    async def main():
        runner, url, seen = await _serve({TF: (200, RESULT)})
        try:
            jobserver_remote.deactivate()
            jobserver_remote.define_extern_client("js", "jobserver", url=url)
            jobserver_remote.activate(no_main=True, extern_clients=["js"])
            assert jobserver_remote.has_jobserver()
            answer = await jobserver_remote.run_transformation({}, tf_checksum=TF)
            assert answer == {"result_checksum": Checksum(RESULT), "stored_by_server": False}
            assert [body["tf_checksum"] for body in seen] == [TF]
        finally:
            await runner.cleanup()
            jobserver_remote.deactivate()

    asyncio.run(main())
