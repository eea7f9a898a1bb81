"""Buffer and payloads cross Dask as raw frames (dask serializer, not pickle), also across processes."""

import pytest
from distributed import Client, LocalCluster
from distributed.protocol import deserialize, serialize
from seamless import Buffer

from seamless_dask import serialization
from seamless_dask.payloads import BasePayload, FatPayload


def test_buffer_uses_dask_family_zero_copy() -> None:
    buf = Buffer(b"x" * 1000)
    cs = buf.get_checksum()
    header, frames = serialize(buf, serializers=["dask", "pickle"])
    assert header["serializer"] == "dask"
    assert len(frames) == 1
    assert isinstance(frames[0], memoryview) and frames[0].obj is buf.content  # zero-copy
    back = deserialize(header, frames)
    assert isinstance(back, Buffer) and back.content == buf.content
    assert back._checksum == cs  # travelled in the header, not recomputed


def test_large_buffer_is_split_below_the_shard_size() -> None:
    big = Buffer(b"\x02" * (serialization.FRAME_SIZE * 2 + 5))
    cs = big.get_checksum()
    header, frames = serialize(big, serializers=["dask", "pickle"])
    assert [len(f) for f in frames] == [serialization.FRAME_SIZE] * 2 + [5]
    assert all(f.obj is big.content for f in frames)
    back = deserialize(header, frames)
    assert isinstance(back, Buffer) and back.content == big.content
    assert back._checksum == cs  # travelled in the header, not recomputed


@pytest.mark.parametrize("with_buffer", [True, False])
def test_payload_round_trip(with_buffer: bool) -> None:
    buf = Buffer(b"payload") if with_buffer else None
    cs = buf.get_checksum().hex() if buf else None
    for payload in (FatPayload(cs, buf, None), BasePayload("a" * 64, cs, buf, "err")):
        header, frames = serialize(payload, serializers=["dask", "pickle"])
        assert header["serializer"] == "dask"
        back = deserialize(header, frames)
        assert type(back) is type(payload)
        assert back[:1] == payload[:1] and back[-1] == payload[-1]
        if with_buffer:
            assert back.buffer.content == b"payload"
        else:
            assert back.buffer is None


def _install_counter() -> None:
    """Wrap our deserializer in this worker process with a call counter."""
    from distributed.protocol import dask_deserialize
    from seamless import Buffer

    from seamless_dask import serialization

    counter = {"n": 0}

    def counting(header, frames):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return serialization.deserialize_buffer(header, frames)

    dask_deserialize.register(Buffer)(counting)
    serialization._test_counter = counter  # type: ignore[attr-defined]


def _make(n: int) -> Buffer:
    from seamless_dask import serialization  # noqa: F401  (registers the serializers)

    buf = Buffer(b"\x01" * n)
    buf.get_checksum()
    return buf


def _consume(buf: Buffer) -> tuple[int, str, int]:
    from seamless_dask import serialization

    return len(buf.content), buf.checksum.hex(), serialization._test_counter["n"]  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
def test_round_trip_across_processes() -> None:
    serialization.ensure_registered()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_install_counter)
        a, b = list(client.scheduler_info()["workers"])
        produced = client.submit(_make, 1_000_000, workers=[a], pure=False)
        consumed = client.submit(_consume, produced, workers=[b], pure=False)
        length, checksum, count = consumed.result(timeout=60)
        assert length == 1_000_000
        assert checksum == Buffer(b"\x01" * 1_000_000).get_checksum().hex()
        assert count >= 1  # our deserializer ran in the consuming worker process
        back = produced.result(timeout=60)  # and to the client
        assert isinstance(back, Buffer) and len(back.content) == 1_000_000
