"""HTTP client for one seamless-database server (protocol 2.2).

Every request is a JSON body sent to the base URL: GET for queries, PUT for writes. A 404 on a
query means "unknown key" (None). Requests per event loop are bounded by
SEAMLESS_DATABASE_MAX_INFLIGHT.
"""

from __future__ import annotations

import json
from typing import Any

from seamless import Checksum

from .client import Client, Reply
from .errors import ReadOnlyClientError, RemoteHTTPError
from .session import get_http_session_registry

__all__ = ["DatabaseClient"]

_RECORD_CONFLICT = "Execution record already exists with different metadata"


class DatabaseClient(Client):
    """Queries (and, unless read-only, writes) a seamless-database server."""

    kind = "database"

    def __init__(self, url: str, *, readonly: bool = True) -> None:
        super().__init__(url, readonly=readonly)
        self.in_flight = 0
        self.peak_in_flight = 0

    async def _call(self, method: str, body: dict[str, Any]) -> Reply:
        semaphore = await get_http_session_registry().get_semaphore("database")
        if semaphore is None:
            return await self._counted(method, body)
        async with semaphore:
            return await self._counted(method, body)

    async def _counted(self, method: str, body: dict[str, Any]) -> Reply:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._request(method, "", data=json.dumps(body).encode())
        finally:
            self.in_flight -= 1

    async def _query(self, body: dict[str, Any]) -> Reply | None:
        reply = await self._call("GET", body)
        if reply.status == 404:
            return None
        if reply.status != 200:
            raise RemoteHTTPError(self.url, method="GET", status=reply.status, body=reply.text())
        return reply

    async def _write(self, body: dict[str, Any], *, what: str) -> Reply:
        if self.readonly:
            raise ReadOnlyClientError(self.url, operation=what)
        return await self._call("PUT", body)

    @staticmethod
    def _check_ok(reply: Reply, url: str) -> None:
        if reply.status != 200:
            raise RemoteHTTPError(url, method="PUT", status=reply.status, body=reply.text())

    async def get_transformation_result(self, tf_checksum: str) -> Checksum | None:
        reply = await self._query({"type": "transformation", "checksum": tf_checksum})
        return None if reply is None else Checksum(reply.text().strip())

    async def set_transformation_result(self, tf_checksum: str, result_checksum: str) -> None:
        body = {"type": "transformation", "checksum": tf_checksum, "value": result_checksum}
        reply = await self._write(body, what=f"PUT of transformation result {tf_checksum}")
        self._check_ok(reply, self.url)

    async def get_rev_transformations(self, result_checksum: str) -> list[Checksum] | None:
        reply = await self._query({"type": "rev_transformations", "checksum": result_checksum})
        if reply is None:
            return None
        return [Checksum(cs) for cs in json.loads(reply.body)]

    async def get_execution_record(self, tf_checksum: str) -> dict[str, Any] | None:
        reply = await self._query({"type": "metadata", "checksum": tf_checksum})
        return None if reply is None else json.loads(reply.body)

    async def set_execution_record(
        self, tf_checksum: str, result_checksum: str, record: dict[str, Any]
    ) -> bool:
        """Store an execution record; False if a different one is already stored."""
        body = {
            "type": "metadata",
            "checksum": tf_checksum,
            "result": result_checksum,
            "value": record,
        }
        reply = await self._write(body, what=f"PUT of execution record {tf_checksum}")
        if reply.status == 409 and _RECORD_CONFLICT in reply.text():
            return False
        self._check_ok(reply, self.url)
        return True

    async def get_irreproducible_records(
        self, tf_checksum: str, result_checksum: str | None = None
    ) -> list[dict[str, Any]] | None:
        body: dict[str, Any] = {"type": "irreproducible", "checksum": tf_checksum}
        if result_checksum is not None:
            body["result"] = result_checksum
        reply = await self._query(body)
        return None if reply is None else json.loads(reply.body)

    async def undo_transformation_result(self, tf_checksum: str, result_checksum: str) -> bool:
        """Mark a result as irreproducible (moves its record aside); False if not stored."""
        body = {"type": "irreproducible", "checksum": tf_checksum, "result": result_checksum}
        reply = await self._write(body, what=f"undo of transformation result {tf_checksum}")
        if reply.status == 404:
            return False
        self._check_ok(reply, self.url)
        return True

    async def get_bucket_probe(self, bucket_kind: str, label: str) -> dict[str, Any] | None:
        reply = await self._query(
            {"type": "bucket_probe", "bucket_kind": bucket_kind, "label": label}
        )
        return None if reply is None else json.loads(reply.body)

    async def set_bucket_probe(
        self,
        bucket_kind: str,
        label: str,
        *,
        bucket_checksum: str,
        freshness_tokens: dict[str, Any],
        captured_at: str,
    ) -> None:
        body = {
            "type": "bucket_probe",
            "bucket_kind": bucket_kind,
            "label": label,
            "bucket_checksum": bucket_checksum,
            "freshness_tokens": freshness_tokens,
            "captured_at": captured_at,
        }
        reply = await self._write(body, what=f"PUT of bucket probe {bucket_kind}/{label}")
        self._check_ok(reply, self.url)
