"""The HTTP face of the jobserver (aiohttp), wire-compatible with seamless-jobserver 0.3.0.

| request | answer |
|---|---|
| ``GET /`` | 200 "Seamless jobserver is running" |
| ``GET /healthcheck`` | 200 "OK" |
| ``GET /run-transformation`` (JSON body) | 200 ``{"result_checksum", "record_runtime"}``; 400 bad JSON or payload; 409 "Jobserver record mode mismatch: ..."; 500 with the error text; 200 "Transformation was canceled" |
| ``GET /transformation-status/{tf}`` | 200 ``{"status": "not-running"|"running"|"canceled"|"failed"|"done"}`` |
| ``POST /cancel-transformation/{tf}`` | 200 ``{"canceled": bool, "status": ...}`` |

A success also carries the header ``Seamless-Result-Stored: database`` when this server wrote
the result and its execution record to the database (seamless-jobserver 0.3.0 leaves that to
the client; clients that do not know the header write them again, harmlessly).
A request with the header ``Seamless-Recompute: 1`` (our extension: the client cannot read the
known result's buffer) is executed again without any lookup and its new buffer replaces the
stored one; the answer then carries ``Seamless-Recompute: done``.
A request counts as activity for the inactivity timeout for as long as it is being answered
(so a running job keeps the server up).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from seamless_remote.jobserver_remote import RECOMPUTE_HEADER, STORED_HEADER
from seamless_transformer import persistence

from ._status_file import InactivityMonitor
from .errors import BadRequestError, JobCanceledError, RecordModeMismatchError
from .execution import JobRunner
from .jobs import JobRegistry
from .payload import parse_run_request

__all__ = ["CANCELED_TEXT", "MAX_REQUEST_BYTES", "RUNNING_TEXT", "build_app"]

logger = logging.getLogger(__name__)

RUNNING_TEXT = "Seamless jobserver is running"
CANCELED_TEXT = "Transformation was canceled"
#: transformation dicts are small, but may carry inline code and metadata
MAX_REQUEST_BYTES = 64 * 1024**2
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_HEX64 = re.compile(r"[0-9a-f]{64}")

JOBS_KEY = web.AppKey("jobs", JobRegistry)
RUNNER_KEY = web.AppKey("runner", JobRunner)


def _checksum_from_path(request: web.Request) -> str:
    tf = request.match_info["tf"]
    if not _HEX64.fullmatch(tf):
        raise web.HTTPBadRequest(
            text=f"Bad request: {tf!r} is not a 64-character lowercase hex checksum"
        )
    return tf


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=RUNNING_TEXT)


async def _healthcheck(request: web.Request) -> web.Response:
    return web.Response(text="OK")


def _make_run_handler(record: bool) -> Handler:
    async def run_transformation(request: web.Request) -> web.Response:
        try:
            run_request = parse_run_request(await request.read())
            if request.headers.get(RECOMPUTE_HEADER) == "1":
                run_request = dataclasses.replace(run_request, recompute=True)
            if run_request.record != record:
                raise RecordModeMismatchError(requested=run_request.record, server=record)
        except BadRequestError as exc:
            return web.Response(status=400, text=str(exc))
        except RecordModeMismatchError as exc:
            return web.Response(status=409, text=str(exc))
        jobs = request.app[JOBS_KEY]
        runner = request.app[RUNNER_KEY]
        tf = run_request.tf_checksum.hex()
        try:
            result = await jobs.submit(run_request)
            result = await runner.ensure_retrievable(run_request, result)
        except JobCanceledError:
            return web.Response(status=200, text=CANCELED_TEXT)
        except Exception as exc:  # noqa: BLE001  (the error text is the answer, as in 1.x)
            logger.info("transformation %s failed: %s", tf, exc)
            return web.Response(status=500, text=str(exc) or type(exc).__name__)
        headers = {STORED_HEADER: "database"} if persistence.is_persistent() else {}
        if run_request.recompute:
            headers[RECOMPUTE_HEADER] = "done"
        return web.json_response(
            {
                "result_checksum": result.result_checksum.hex(),
                "record_runtime": result.record_runtime,
            },
            headers=headers,
        )

    return run_transformation


async def _status(request: web.Request) -> web.Response:
    tf = _checksum_from_path(request)
    return web.json_response({"status": request.app[JOBS_KEY].status(tf)})


async def _cancel(request: web.Request) -> web.Response:
    tf = _checksum_from_path(request)
    jobs = request.app[JOBS_KEY]
    canceled = jobs.cancel(tf)
    return web.json_response({"canceled": canceled, "status": jobs.status(tf)})


def build_app(
    runner: JobRunner,
    *,
    record: bool = False,
    monitor: InactivityMonitor | None = None,
) -> web.Application:
    """The application; every request keeps ``monitor`` busy while it is being answered."""

    @web.middleware
    async def activity(request: web.Request, handler: Handler) -> web.StreamResponse:
        if monitor is None:
            return await handler(request)
        with monitor.busy():
            return await handler(request)

    app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[activity])
    app[RUNNER_KEY] = runner
    app[JOBS_KEY] = JobRegistry(runner.run)
    run_handler = _make_run_handler(record)
    app.router.add_get("/", _index)
    app.router.add_get("/healthcheck", _healthcheck)
    app.router.add_get("/run-transformation", run_handler)
    app.router.add_post("/run-transformation", run_handler)
    app.router.add_get("/transformation-status/{tf}", _status)
    app.router.add_post("/cancel-transformation/{tf}", _cancel)
    return app


def jobs_of(app: web.Application) -> JobRegistry:
    """The job registry of an application built by :func:`build_app`."""
    return app[JOBS_KEY]
