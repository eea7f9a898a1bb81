"""Test helpers: build run-transformation requests with seamless_transformer, upload their
inputs to the hashserver, and talk to a jobserver over plain HTTP (aiohttp)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import aiohttp
from seamless import Checksum

from seamless_transformer import delayed


def build_request(func: Callable[..., Any], *args: Any, scratch: bool = False) -> dict[str, Any]:
    """The run-transformation body for ``func(*args)``; its input buffers are attached
    under the private key ``_buffers`` (checksum hex -> bytes)."""
    tf = delayed(func)(*args)
    checksum = tf.construct()
    assert checksum is not None, tf.exception
    return {
        "transformation_dict": tf.build_dict(),
        "tf_checksum": checksum.hex(),
        "tf_dunder": {},
        "scratch": scratch,
        "strict_dunder": False,
        "record": False,
        "_buffers": {b.get_checksum().hex(): b.content for b in tf.input_buffers()},
    }


def upload(hashserver_url: str, body: dict[str, Any]) -> None:
    """PUT the request's input buffers to the hashserver."""
    for checksum, content in body["_buffers"].items():
        put = urllib.request.Request(f"{hashserver_url}/{checksum}", data=content, method="PUT")
        with urllib.request.urlopen(put, timeout=30) as response:
            assert response.status in (200, 201), response.status


def wire_body(body: dict[str, Any]) -> bytes:
    """The JSON bytes sent over the wire (without the attached buffers)."""
    return json.dumps({k: v for k, v in body.items() if not k.startswith("_")}).encode()


def http(url: str, *, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    """One blocking request; (status, text)."""
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def run(jobserver_url: str, body: dict[str, Any] | bytes) -> tuple[int, str]:
    """GET /run-transformation; (status, text)."""
    data = body if isinstance(body, bytes) else wire_body(body)
    return http(f"{jobserver_url}/run-transformation", data=data)


async def run_many(jobserver_url: str, bodies: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Send all requests at once; (status, text) of each, in order."""
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(body: dict[str, Any]) -> tuple[int, str]:
            async with session.get(
                f"{jobserver_url}/run-transformation", data=wire_body(body)
            ) as response:
                return response.status, await response.text()

        return await asyncio.gather(*(one(b) for b in bodies))


def result_of(text: str) -> Checksum:
    """The result checksum of a 200 answer."""
    answer = json.loads(text)
    assert set(answer) == {"result_checksum", "record_runtime"}, answer
    return Checksum(answer["result_checksum"])


def get_buffer(hashserver_url: str, checksum: Checksum) -> bytes | None:
    """The buffer from the hashserver, or None."""
    status, _ = http(f"{hashserver_url}/{checksum.hex()}")
    if status != 200:
        return None
    with urllib.request.urlopen(f"{hashserver_url}/{checksum.hex()}", timeout=30) as response:
        return response.read()


def database_result(database_url: str, tf_checksum: str) -> str | None:
    """The result checksum the database holds for ``tf_checksum``."""
    body = json.dumps({"type": "transformation", "checksum": tf_checksum}).encode()
    status, text = http(database_url, data=body)
    return text.strip() if status == 200 else None


def database_record(database_url: str, tf_checksum: str) -> dict[str, Any] | None:
    """The execution record the database holds for ``tf_checksum``."""
    body = json.dumps({"type": "metadata", "checksum": tf_checksum}).encode()
    status, text = http(database_url, data=body)
    return json.loads(text) if status == 200 else None
