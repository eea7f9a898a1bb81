"""Benchmark seamless_remote against plain aiohttp on the same hashserver, in the same run.

Starts a real hashserver and seamless-database on loopback (free ports), then measures:
- buffer PUT+GET through `BufferClient` (checksum-verified reads) versus plain aiohttp
  requests (no verification), for small buffers (operations/s) and large ones (MB/s);
- database transformation-result set/get per second through `DatabaseClient`, and the same
  requests sent with plain aiohttp.
Every PUT uploads a buffer the server does not have yet, so no request is short-circuited.

Usage: python seamless-remote/benchmarks/bench_remote.py [--small-count N] [--large-mb M]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.buffer_client import BufferClient
from seamless_remote.database_client import DatabaseClient
from seamless_remote.session import get_http_session_registry

# The test harness's server helpers (common/testing), importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "common" / "testing"))
from seamless_testing.servers import run_database, run_hashserver


def _buffers(tag: str, count: int, size: int) -> list[tuple[str, bytes]]:
    result = []
    for i in range(count):
        head = f"{tag}-{i}-".encode()
        content = (
            head + os.urandom(max(size - len(head), 0))
            if size > 4096
            else (head + b"x" * max(size - len(head), 0))
        )
        result.append((calculate_checksum(content), content))
    return result


async def _timed(action: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def _plain_put_get(session: aiohttp.ClientSession, url: str, items) -> tuple[float, float]:
    async def put():
        for cs, content in items:
            async with session.put(f"{url}/{cs}", data=content) as resp:
                assert resp.status in (200, 201), resp.status
                await resp.read()

    async def get():
        for cs, content in items:
            async with session.get(f"{url}/{cs}") as resp:
                assert resp.status == 200 and len(await resp.read()) == len(content)

    return await _timed(put), await _timed(get)


async def _ours_put_get(client: BufferClient, items) -> tuple[float, float]:
    async def put():
        for cs, content in items:
            await client.write(cs, content)

    async def get():
        for cs, content in items:
            assert len(await client.get(cs)) == len(content)

    return await _timed(put), await _timed(get)


async def bench_buffers(url: str, *, small_count: int, large_mb: int, rounds: int) -> list[dict]:
    client = BufferClient(url, readonly=False)
    rows = []
    cases = [("1 KiB", small_count, 1024), (f"{large_mb} MiB", 1, large_mb * 1024 * 1024)]
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        for label, count, size in cases:
            best = {"plain": [float("inf")] * 2, "ours": [float("inf")] * 2}
            for r in range(rounds):
                plain_items = _buffers(f"p{label}{r}", count, size)
                ours_items = _buffers(f"o{label}{r}", count, size)
                if r % 2:  # alternate the order, so neither side always runs second
                    ours = await _ours_put_get(client, ours_items)
                    plain = await _plain_put_get(session, url, plain_items)
                else:
                    plain = await _plain_put_get(session, url, plain_items)
                    ours = await _ours_put_get(client, ours_items)
                for key, (put, get) in (("plain", plain), ("ours", ours)):
                    best[key] = [min(best[key][0], put), min(best[key][1], get)]
            total = count * size / 1e6
            row = {"case": f"{count} x {label}"}
            for key in ("plain", "ours"):
                put, get = best[key]
                if size <= 4096:
                    row[f"{key} PUT op/s"] = count / put
                    row[f"{key} GET op/s"] = count / get
                else:
                    row[f"{key} PUT MB/s"] = total / put
                    row[f"{key} GET MB/s"] = total / get
            row["PUT ratio ours/plain"] = best["plain"][0] / best["ours"][0]
            row["GET ratio ours/plain"] = best["plain"][1] / best["ours"][1]
            row["PUT+GET ratio ours/plain"] = sum(best["plain"]) / sum(best["ours"])
            rows.append(row)
    return rows


async def bench_database(url: str, *, count: int) -> dict:
    client = DatabaseClient(url, readonly=False)
    result = calculate_checksum(b"benchmark result")
    tfs = [calculate_checksum(f"bench tf {i} {time.time()}".encode()) for i in range(count)]

    async def ours_set():
        for tf in tfs:
            await client.set_transformation_result(tf, result)

    async def ours_get():
        for tf in tfs:
            assert await client.get_transformation_result(tf) is not None

    plain_tfs = [calculate_checksum(f"plain tf {i} {time.time()}".encode()) for i in range(count)]
    async with aiohttp.ClientSession() as session:

        async def plain_set():
            for tf in plain_tfs:
                body = {"type": "transformation", "checksum": tf, "value": result}
                async with session.put(url + "/", data=json.dumps(body)) as resp:
                    assert resp.status == 200
                    await resp.read()

        async def plain_get():
            for tf in plain_tfs:
                body = {"type": "transformation", "checksum": tf}
                async with session.get(url + "/", data=json.dumps(body)) as resp:
                    assert resp.status == 200
                    await resp.read()

        t_set, t_get = await _timed(ours_set), await _timed(ours_get)
        t_plain_set, t_plain_get = await _timed(plain_set), await _timed(plain_get)
    return {
        "ours set/s": count / t_set,
        "ours get/s": count / t_get,
        "plain set/s": count / t_plain_set,
        "plain get/s": count / t_plain_get,
        "set ratio ours/plain": t_plain_set / t_set,
        "get ratio ours/plain": t_plain_get / t_get,
    }


def _print_row(row: dict) -> None:
    print(
        "  "
        + "; ".join(
            f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Buffer PUT+GET throughput of seamless_remote vs plain aiohttp on the same "
        "hashserver, and database result set/get per second. Starts its own servers."
    )
    parser.add_argument("--small-count", type=int, default=300, help="number of 1 KiB buffers")
    parser.add_argument("--large-mb", type=int, default=100, help="size of the large buffer")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per case (best is kept)")
    parser.add_argument("--db-count", type=int, default=500, help="database operations")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as tmp:
        with (
            run_hashserver(Path(tmp) / "buffers") as hs,
            run_database(Path(tmp) / "db.sqlite") as db,
        ):

            async def run():
                try:
                    buffers = await bench_buffers(
                        hs.url,
                        small_count=args.small_count,
                        large_mb=args.large_mb,
                        rounds=args.rounds,
                    )
                    database = await bench_database(db.url, count=args.db_count)
                finally:
                    get_http_session_registry().close_all()
                return buffers, database

            buffers, database = asyncio.run(run())
    print("hashserver: seamless_remote BufferClient vs plain aiohttp (ratio > 1: ours faster)")
    for row in buffers:
        _print_row(row)
    print("database: seamless_remote DatabaseClient vs plain aiohttp")
    _print_row(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
