"""Deterministic Dask keys: pure functions, no I/O. Nothing else in seamless_dask builds keys.

A key is ``<kind>-<checksum>`` or, when the transformation requests resources,
``<kind>-r<tag>-<checksum>``, where ``<tag>`` is a short SHA-256 of the canonical JSON of the
resource spec. Identical work under the same key is deduplicated by the scheduler, so:

- IN the key: the task kind and the checksum (what is computed), and the resource spec (seed 000,
  point 1): the same transformation submitted with different resources must neither be
  deduplicated onto a worker that lacks them nor be canceled together with it.
- LEFT OUT, deliberately: ``scratch`` and ``meta`` (other than resources). Seamless guarantees
  that a result checksum always has a retrievable (or recomputable, for scratch) buffer, and
  meta does not change what is computed, so sharing the work across these is correct and saves
  a run.

Input-buffer loaders (``fat_checksum-<cs>``) never carry resources: loading a buffer does not
depend on them. The underscore spelling keeps them apart from result forwarders (``fat-<tf>``).
Provisional keys (dependency case: the transformation checksum is not known yet) carry a
random token instead of a checksum; the real work is then submitted under the deterministic key.
Recompute keys (``<kind>-recompute<token>-...-<checksum>``) and fresh loader keys
(``fat_checksum-retry<token>-<checksum>``) carry a random token too: a result whose stored
buffer cannot be read is computed again, and a buffer whose load failed is loaded again, under
a key that no earlier (finished, still held) task has, so the scheduler cannot hand back the
old outcome.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamless import Checksum

BASE = "base"
THIN = "thin"
FAT = "fat"
FAT_CHECKSUM = "fat_checksum"
PROVISIONAL = "provisional"
RECOMPUTE = "recompute"
TASK_KINDS = (BASE, THIN, FAT)


def _hex(checksum: Checksum | bytes | str) -> str:
    """Hex form of a Checksum, bytes or hex string (validated: 64 hex characters)."""
    if hasattr(checksum, "hex") and not isinstance(checksum, (str, bytes)):
        checksum = checksum.hex()
    elif isinstance(checksum, bytes):
        checksum = checksum.hex()
    text = str(checksum)
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"Not a 64-character lowercase hex checksum: {text!r}")
    return text


def resource_tag(resources: Mapping[str, Any] | None) -> str | None:
    """Short stable tag of a resource spec (``None`` for no resources)."""
    if not resources:
        return None
    canonical = json.dumps(dict(resources), sort_keys=True, separators=(",", ":"), default=str)
    return "r" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def transformation_key(
    kind: str, tf_checksum: Checksum | str, *, resources: Mapping[str, Any] | None = None
) -> str:
    """Key of the base, thin or fat task of a transformation."""
    if kind not in TASK_KINDS:
        raise ValueError(f"Unknown task kind {kind!r}; expected one of {TASK_KINDS}")
    tag = resource_tag(resources)
    hexcs = _hex(tf_checksum)
    return f"{kind}-{hexcs}" if tag is None else f"{kind}-{tag}-{hexcs}"


def transformation_keys(
    tf_checksum: Checksum | str, *, resources: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Keys of base, thin and fat for one transformation."""
    return {kind: transformation_key(kind, tf_checksum, resources=resources) for kind in TASK_KINDS}


def fat_checksum_key(checksum: Checksum | str) -> str:
    """Key of the task that loads the buffer of ``checksum`` on a worker."""
    return f"{FAT_CHECKSUM}-{_hex(checksum)}"


def recompute_keys(
    tf_checksum: Any, *, resources: Mapping[str, Any] | None = None, token: str | None = None
) -> dict[str, str]:
    """Keys of base, thin and fat for executing a transformation again (its known result's
    buffer cannot be read); never shared with the deterministic keys."""
    token = token or uuid.uuid4().hex[:16]
    return {
        kind: f"{kind}-{RECOMPUTE}{token}-{key.split('-', 1)[1]}"
        for kind, key in transformation_keys(tf_checksum, resources=resources).items()
    }


def fresh_fat_checksum_key(checksum: Any, token: str | None = None) -> str:
    """A loader key for ``checksum`` that no earlier task has (its last load failed)."""
    token = token or uuid.uuid4().hex[:16]
    return f"{FAT_CHECKSUM}-retry{token}-{_hex(checksum)}"


def provisional_keys(token: str | None = None) -> dict[str, str]:
    """Keys for a transformation whose checksum depends on upstream results not yet known."""
    token = token or uuid.uuid4().hex
    return {kind: f"{kind}-{PROVISIONAL}-{token}" for kind in TASK_KINDS}


def is_provisional(key: str) -> bool:
    """True for a key made by :func:`provisional_keys`."""
    return any(key.startswith(f"{kind}-{PROVISIONAL}-") for kind in TASK_KINDS)


def checksum_of_key(key: str) -> str | None:
    """The checksum a deterministic key names (``None`` for provisional keys)."""
    if is_provisional(key):
        return None
    tail = key.rsplit("-", 1)[-1]
    try:
        return _hex(tail)
    except ValueError:
        return None


__all__ = [
    "BASE",
    "FAT",
    "FAT_CHECKSUM",
    "PROVISIONAL",
    "RECOMPUTE",
    "TASK_KINDS",
    "THIN",
    "checksum_of_key",
    "fat_checksum_key",
    "fresh_fat_checksum_key",
    "is_provisional",
    "provisional_keys",
    "recompute_keys",
    "resource_tag",
    "transformation_key",
    "transformation_keys",
]
