"""Deterministic keys: golden values, resource spec in the key, scratch/meta out."""

import pytest
from seamless import Buffer

from seamless_dask import keys

TF = "b305d13f" + "0" * 52 + "a006"


def test_golden_keys() -> None:
    assert keys.transformation_key("base", TF) == f"base-{TF}"
    assert keys.transformation_key("thin", TF) == f"thin-{TF}"
    assert keys.fat_checksum_key(TF) == f"fat_checksum-{TF}"


def test_resource_spec_changes_key() -> None:
    plain = keys.transformation_key("base", TF)
    gpu = keys.transformation_key("base", TF, resources={"GPU": 1})
    gpu2 = keys.transformation_key("base", TF, resources={"GPU": 2})
    assert len({plain, gpu, gpu2}) == 3
    assert gpu.startswith("base-r") and gpu.endswith(TF)
    # canonical: the order of the resource mapping does not matter
    a = keys.transformation_key("thin", TF, resources={"GPU": 1, "memory": "4GB"})
    b = keys.transformation_key("thin", TF, resources={"memory": "4GB", "GPU": 1})
    assert a == b
    # no resources and empty resources are the same key
    assert keys.transformation_key("base", TF, resources={}) == plain


def test_resource_tag_is_stable() -> None:
    # pinned: a change of the tag function would silently split caches across versions
    assert (
        keys.resource_tag({"GPU": 1})
        == "r" + __import__("hashlib").sha256(b'{"GPU":1}').hexdigest()[:16]
    )
    assert keys.resource_tag(None) is None


def test_keys_accept_checksum_objects() -> None:
    cs = Buffer(b"hello").get_checksum()
    assert keys.fat_checksum_key(cs) == f"fat_checksum-{cs.hex()}"
    assert keys.checksum_of_key(keys.transformation_key("fat", cs, resources={"x": 1})) == cs.hex()


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="64-character"):
        keys.fat_checksum_key("abc")
    with pytest.raises(ValueError, match="Unknown task kind"):
        keys.transformation_key("bogus", TF)


def test_provisional_keys() -> None:
    prov = keys.provisional_keys("tok")
    assert prov == {
        "base": "base-provisional-tok",
        "thin": "thin-provisional-tok",
        "fat": "fat-provisional-tok",
    }
    assert keys.is_provisional(prov["base"])
    assert not keys.is_provisional(keys.transformation_key("base", TF))
    assert keys.checksum_of_key(prov["thin"]) is None
    assert keys.provisional_keys()["base"] != keys.provisional_keys()["base"]
