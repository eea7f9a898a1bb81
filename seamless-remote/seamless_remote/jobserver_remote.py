"""Client for seamless-jobserver: run a transformation dict remotely, cancel it, poll it.

Protocol (Seamless 1.x): `GET /run-transformation` with a JSON body
`{transformation_dict, tf_checksum, tf_dunder, scratch, strict_dunder, record}`;
`POST /cancel-transformation/<tf>`; `GET /transformation-status/<tf>`. `activate()` launches
the jobserver of the selected cluster through remote-http-launcher.

Recompute (our extension, DESIGN.md point 14): `run_transformation(..., recompute=True)` sends
the request header `Seamless-Recompute: 1` (a lost or corrupt result buffer: execute again,
do not look the transformation up). Our jobserver answers with the same header set to `done`;
a Seamless 1.x jobserver ignores the header (the body is unchanged), and the answer then says
`recomputed: False`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seamless import Checksum

from .client import Client, define_extern_client
from .errors import JobserverError, TransformationCanceledError
from .launched import run_launcher
from .registry import get_remote_registry

__all__ = [
    "DISABLED",
    "JobserverClient",
    "RECOMPUTE_HEADER",
    "STORED_HEADER",
    "activate",
    "cancel_transformation",
    "deactivate",
    "define_extern_client",
    "define_jobserver",
    "has_jobserver",
    "run_transformation",
    "transformation_status",
]

#: Set to True to make activate() a no-op (used by seamless-config's tests).
DISABLED = False

_CANCELED = "Transformation was canceled"
#: response header of our jobserver: the result and its execution record are in the database
STORED_HEADER = "Seamless-Result-Stored"
#: request header: recompute, do not look up (value "1"); response header: done (value "done")
RECOMPUTE_HEADER = "Seamless-Recompute"


class JobserverClient(Client):
    """Sends transformation dicts to one jobserver."""

    kind = "jobserver"

    def __init__(self, url: str) -> None:
        super().__init__(url, readonly=False)

    async def run_transformation(
        self,
        transformation_dict: dict[str, Any],
        *,
        tf_checksum: Checksum | str,
        tf_dunder: dict[str, Any] | None = None,
        scratch: bool = False,
        strict_dunder: bool = False,
        record: bool = False,
        recompute: bool = False,
    ) -> dict[str, Any]:
        """Run remotely; a dict with `result_checksum` (a Checksum) or `remote_job_written`,
        `stored_by_server` (True when the server wrote the result to the database) and
        `recomputed` (True when ``recompute`` was asked for and the server did so)."""
        tf = Checksum(tf_checksum).hex()
        body = {
            "transformation_dict": transformation_dict,
            "tf_checksum": tf,
            "tf_dunder": tf_dunder or {},
            "scratch": scratch,
            "strict_dunder": strict_dunder,
            "record": record,
        }
        try:
            reply = await self._request(
                "GET",
                "run-transformation",
                json=body,
                headers={RECOMPUTE_HEADER: "1"} if recompute else None,
            )
        except asyncio.CancelledError:
            await asyncio.shield(self.cancel_transformation(tf))
            raise
        text = reply.text()
        if _CANCELED in text and reply.status in (200, 409):
            raise TransformationCanceledError(
                self.url, status=reply.status, message=text, tf_checksum=tf
            )
        if reply.status != 200:
            raise JobserverError(self.url, status=reply.status, message=text)
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            answer = text.strip()
        if isinstance(answer, str):
            return {"result_checksum": Checksum(answer), "stored_by_server": False}
        if not isinstance(answer, dict) or not (
            "result_checksum" in answer or "remote_job_written" in answer
        ):
            raise JobserverError(
                self.url, status=reply.status, message=f"unexpected reply {text!r}"
            )
        if "result_checksum" in answer:
            answer["result_checksum"] = Checksum(answer["result_checksum"])
        # seamless-jobserver 0.3.0 leaves the database writes to the client; ours says so
        answer["stored_by_server"] = reply.headers.get(STORED_HEADER) == "database"
        answer["recomputed"] = recompute and reply.headers.get(RECOMPUTE_HEADER) == "done"
        return answer

    async def cancel_transformation(self, tf_checksum: Checksum | str) -> bool:
        """Ask the jobserver to cancel; True if it did."""
        tf = Checksum(tf_checksum).hex()
        reply = await self._request("POST", f"cancel-transformation/{tf}")
        if reply.status != 200:
            raise JobserverError(self.url, status=reply.status, message=reply.text())
        return bool(json.loads(reply.body).get("canceled"))

    async def transformation_status(self, tf_checksum: Checksum | str) -> str:
        """ "not-running", "running", "canceled", "failed" or "done"."""
        tf = Checksum(tf_checksum).hex()
        reply = await self._request("GET", f"transformation-status/{tf}")
        if reply.status != 200:
            raise JobserverError(self.url, status=reply.status, message=reply.text())
        return str(json.loads(reply.body)["status"])


def activate(no_main: bool = False, extern_clients: Sequence[str] = ()) -> None:
    """Use the jobservers named in ``extern_clients`` (see ``define_extern_client``), and,
    unless ``no_main``, launch (or reconnect) the jobserver of the selected cluster first."""
    if DISABLED:
        return
    registry = get_remote_registry()
    urls = [str(registry.get_extern(name, types=("jobserver",)).url) for name in extern_clients]
    if not no_main:
        from seamless_config import tools

        conf = tools.configure_jobserver()
        payload = run_launcher(conf)
        urls.insert(0, f"http://{payload.get('hostname') or 'localhost'}:{payload['port']}")
    if urls or not no_main:
        registry.jobserver_clients = [JobserverClient(url) for url in urls]


def define_jobserver(url: str) -> None:
    """Use the jobserver at `url` (e.g. one started by hand)."""
    get_remote_registry().jobserver_clients = [JobserverClient(url)]


def deactivate() -> None:
    """Use no jobserver."""
    get_remote_registry().jobserver_clients = []


def has_jobserver() -> bool:
    """True if a jobserver is active."""
    return bool(get_remote_registry().jobserver_clients)


def _client() -> JobserverClient:
    clients = get_remote_registry().jobserver_clients
    if not clients:
        raise JobserverError(
            "(no jobserver)",
            status=0,
            message="no jobserver is active; select a cluster with a jobserver and "
            "`remote: jobserver`, or call jobserver_remote.define_jobserver(url)",
        )
    return clients[0]


async def run_transformation(
    transformation_dict: dict[str, Any],
    *,
    tf_checksum: Checksum | str,
    tf_dunder: dict[str, Any] | None = None,
    scratch: bool = False,
    strict_dunder: bool = False,
    record: bool = False,
    recompute: bool = False,
) -> dict[str, Any]:
    """Run a transformation dict on the active jobserver (``recompute``: see the module
    docstring)."""
    return await _client().run_transformation(
        transformation_dict,
        tf_checksum=tf_checksum,
        tf_dunder=tf_dunder,
        scratch=scratch,
        strict_dunder=strict_dunder,
        record=record,
        recompute=recompute,
    )


async def cancel_transformation(tf_checksum: Checksum | str) -> bool:
    """Cancel a transformation on the active jobserver."""
    return await _client().cancel_transformation(tf_checksum)


async def transformation_status(tf_checksum: Checksum | str) -> str:
    """Status of a transformation on the active jobserver."""
    return await _client().transformation_status(tf_checksum)


if TYPE_CHECKING:  # this module is the 'jobserver' hook of seamless_config.hooks (checked by mypy)
    from seamless_config.hooks import ServiceHook

    from . import jobserver_remote as _module

    _hook: ServiceHook = _module
