"""The transformation dict and its checksum (Seamless 1.x compatible). Pure functions, no I/O.

A transformation dict is flat. Each key is a *pin*, mapping to ``[celltype, subcelltype, hex]``,
or a *dunder* (``__x__``). The transformation checksum is the SHA-256 of the "plain"
serialization (orjson, indent 2, sorted keys, plus "\\n") of the *identity dict*:

- kept (load-bearing): every pin, ``__language__``, ``__output__``, ``__as__``, ``__format__``,
  ``__schema__``;
- left out (orthogonal: they do not change what is computed): ``__meta__`` (local, scratch,
  resources, direct_print, ...), ``__env__`` (conda/docker environment), ``__compilation__``,
  ``__record_probe__``, ``__code_checksum__``, ``__code_text__``, ``__compilers__``,
  ``__languages__`` and every ``META__*`` pin;
- left out (derived from other keys): ``__compiled__``, ``__header__``, ``__deps__``.

Any other dunder is rejected, so that a typo can never silently change or not change identity.
Golden values (tests/test_transformation_dict.py): ``add(19, 23)`` gives ``b305d13f...a006``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from seamless import Checksum

LOAD_BEARING_DUNDERS = frozenset(
    {"__language__", "__output__", "__as__", "__format__", "__schema__"}
)
ORTHOGONAL_DUNDERS = frozenset(
    {
        "__meta__",
        "__env__",
        "__compilation__",
        "__record_probe__",
        "__code_checksum__",
        "__code_text__",
        "__compilers__",
        "__languages__",
    }
)
DERIVED_DUNDERS = frozenset({"__compiled__", "__header__", "__deps__"})


def is_dunder(key: str) -> bool:
    """True for keys of the form ``__x__``."""
    return key.startswith("__") and key.endswith("__") and len(key) > 4


def identity_dict(tf_dict: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``tf_dict`` that determines the transformation checksum."""
    result: dict[str, Any] = {}
    for key, value in tf_dict.items():
        if key.startswith("META__"):
            continue
        if key.startswith("__"):
            if key in LOAD_BEARING_DUNDERS:
                result[key] = value
            elif key in ORTHOGONAL_DUNDERS or key in DERIVED_DUNDERS:
                continue
            else:
                raise ValueError(
                    f"Unknown transformation dunder key {key!r}; known keys: "
                    f"{', '.join(sorted(LOAD_BEARING_DUNDERS | ORTHOGONAL_DUNDERS | DERIVED_DUNDERS))}"
                )
        else:
            result[key] = value
    return result


def _default(value: Any) -> Any:
    if isinstance(value, Checksum):
        return value.hex()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def plain_bytes(value: Any) -> bytes:
    """The "plain" celltype serialization of a JSON-able value (Checksums become hex)."""
    return (
        orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        + b"\n"
    )


def transformation_buffer_bytes(tf_dict: Mapping[str, Any]) -> bytes:
    """The buffer whose SHA-256 is the transformation checksum."""
    return plain_bytes(identity_dict(tf_dict))


def transformation_checksum(tf_dict: Mapping[str, Any]) -> Checksum:
    """The transformation checksum of ``tf_dict`` (orthogonal and derived keys excluded)."""
    return Checksum(hashlib.sha256(transformation_buffer_bytes(tf_dict)).digest())


def pin_triple(celltype: str, subcelltype: str | None, checksum: Checksum | str) -> list[Any]:
    """A pin entry ``[celltype, subcelltype, hex]``."""
    return [celltype, subcelltype, Checksum(checksum).hex()]


def pin_checksums(tf_dict: Mapping[str, Any]) -> dict[str, Checksum]:
    """Pin name -> checksum, for every pin of ``tf_dict`` (META__ pins included)."""
    return {
        key: Checksum(value[2])
        for key, value in tf_dict.items()
        if not is_dunder(key) and value is not None and value[2] is not None
    }


__all__ = [
    "DERIVED_DUNDERS",
    "LOAD_BEARING_DUNDERS",
    "ORTHOGONAL_DUNDERS",
    "identity_dict",
    "is_dunder",
    "pin_checksums",
    "pin_triple",
    "plain_bytes",
    "transformation_buffer_bytes",
    "transformation_checksum",
]
