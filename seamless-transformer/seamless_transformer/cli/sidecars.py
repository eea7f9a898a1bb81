"""``X.CHECKSUM`` / ``DIR.INDEX`` sidecars and directory indexes, as Seamless 1.x writes them.

``X.CHECKSUM`` holds the hex checksum of X plus a newline (what ``Checksum.load`` reads).
``DIR.INDEX`` is the deepfolder index of DIR: ``{relative path: hex checksum}`` serialized as
celltype "plain" (so its checksum, written to ``DIR.CHECKSUM``, matches Seamless 1.x). Sidecars
are written atomically: a temporary file in the same directory, then ``os.replace``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping

from seamless import Buffer, Checksum

from ..values import to_buffer

CHECKSUM_SUFFIX = ".CHECKSUM"
INDEX_SUFFIX = ".INDEX"


def is_sidecar(path: str) -> bool:
    """``path`` names a sidecar file rather than data."""
    return path.endswith((CHECKSUM_SUFFIX, INDEX_SUFFIX))


def read_checksum(path: str) -> Checksum | None:
    """The checksum in ``path.CHECKSUM``, or None if there is no such sidecar."""
    sidecar = path + CHECKSUM_SUFFIX
    if not os.path.isfile(sidecar):
        return None
    try:
        return Checksum.load(sidecar)
    except ValueError:
        raise ValueError(
            f"{sidecar}: does not contain a 64-character hex checksum; fix or remove it"
        ) from None


def read_index(path: str) -> tuple[dict[str, str], Buffer]:
    """The deepfolder index in ``path.INDEX`` and its buffer (as stored, for checksumming)."""
    sidecar = path + INDEX_SUFFIX
    with open(sidecar, "rb") as f:
        buffer = Buffer(f.read())
    try:
        index = json.loads(buffer.content)
    except ValueError as exc:
        raise ValueError(f"{sidecar}: not a JSON index ({exc})") from None
    if not isinstance(index, dict) or not all(isinstance(v, str) for v in index.values()):
        raise ValueError(f"{sidecar}: not a dict of relative path -> hex checksum")
    return index, buffer


def write_atomic(path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename (no partial file)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".seamless-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_checksum(path: str, checksum: Checksum) -> None:
    """Write ``path.CHECKSUM`` atomically."""
    write_atomic(path + CHECKSUM_SUFFIX, (checksum.hex() + "\n").encode())


def write_index(path: str, index_buffer: Buffer) -> None:
    """Write ``path.INDEX`` (the index buffer as is) and then ``path.CHECKSUM``, atomically."""
    write_atomic(path + INDEX_SUFFIX, index_buffer.content)
    write_checksum(path, index_buffer.get_checksum())


def directory_files(path: str) -> list[tuple[str, str]]:
    """Every file under ``path`` (recursive, sorted) as ``(relative path, full path)``."""
    files: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for filename in sorted(filenames):
            full = os.path.join(dirpath, filename)
            files.append((os.path.relpath(full, path), full))
    return files


def index_buffer(index: Mapping[str, Checksum | str]) -> Buffer:
    """The deepfolder index buffer (celltype "plain") of ``{relative path: checksum}``."""
    plain = {key: Checksum(value).hex() for key, value in index.items()}
    return to_buffer(plain, "plain")
