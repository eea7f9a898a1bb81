"""Value <-> buffer conversion: fresh serialization, one live buffer per checksum."""

import gc

import numpy as np

from seamless_transformer import delayed
from seamless_transformer.values import to_buffer


def test_same_value_gives_the_same_live_buffer():
    array = np.arange(1000, dtype=np.float64)
    first = to_buffer(array, "mixed")
    second = to_buffer(array.copy(), "mixed")
    assert second is first


def test_mutated_value_gives_a_new_buffer():
    array = np.arange(1000, dtype=np.float64)
    first = to_buffer(array, "mixed")
    array[0] = -1
    second = to_buffer(array, "mixed")
    assert second.checksum != first.checksum


def test_dead_buffers_are_not_kept():
    from seamless.caching.buffer_cache import get_buffer_cache

    checksum = to_buffer(b"dead buffer " * 100, "bytes").checksum
    gc.collect()
    assert get_buffer_cache().get(checksum) is None


def test_many_transformations_on_one_large_input_share_its_buffer():
    @delayed
    def total(a, salt):
        return float(a.sum()) + salt

    array = np.ones(250_000)
    transformations = [total(array, salt) for salt in range(5)]
    big = [max(t.input_buffers(), key=lambda b: len(b.content)) for t in transformations]
    assert len(big[0].content) > 250_000 * 8
    assert all(b is big[0] for b in big)


def test_a_duplicate_does_not_push_a_live_buffer_out_of_the_cache():
    from seamless.caching.buffer_cache import get_buffer_cache

    from seamless_transformer.values import live_buffer

    kept = to_buffer({"kept": list(range(50))}, "plain")
    duplicate = live_buffer(bytes(kept.content), kept.checksum)
    assert duplicate is kept
    del duplicate
    gc.collect()
    assert get_buffer_cache().get(kept.checksum) is kept
