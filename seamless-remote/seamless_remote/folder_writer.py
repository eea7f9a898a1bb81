"""The local fast path: buffers written straight into a hashserver's directory, no HTTP.

The on-disk protocol is the hashserver's own (hashserver 1.1, `put_file`), so the server serves
what is written here and Seamless 1.x folder clients read it:

- layout: `prefix` (`<dir>/<cs[:2]>/<cs>`, marked by the sentinel file `<dir>/.HASHSERVER_PREFIX`
  that the server writes at startup) or `flat` (`<dir>/<cs>`, no sentinel);
- a buffer goes to a temporary file in its target folder, is made read-only (0444) and renamed
  onto its name: a reader sees the whole file or nothing, also with concurrent writers of one
  checksum (they write identical bytes); a new prefix folder gets mode 3775 like the server's;
- an uncompressed file makes a `<cs>.BUFFERLENGTH` sidecar obsolete (removed, as the server
  does); a compressed form `<cs>.zst` / `<cs>.gz` is written with its sidecar (the uncompressed
  length), sidecar first, so a reader never finds the compressed file without it;
- while `<dir>/.LOCK`, `<dir>/<cs[:2]>/.LOCK` (prefix layout) or `<file>.LOCK` exists and is fresh
  (modified less than the server's lock timeout, 120 s, ago), a write waits;
- a buffer already stored is not written again; a stored uncompressed file that does not match
  its checksum (wrong length or content) is replaced, so a fast-path write repairs a corrupt
  buffer (an HTTP PUT does not: the hashserver accepts any existing file);

The content is verified against its checksum before anything is written. `FastPath` decides,
once per server and process, whether the fast path may be used: it writes a probe buffer and
asks the server over HTTP whether it sees it (same directory, same layout, writable here).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import zstandard
from seamless.checksum.calculate_checksum import calculate_checksum

from .errors import CorruptBufferError, RemoteError

__all__ = ["BufferFolderWriter", "FastPath", "LOCK_TIMEOUT", "PREFIX_SENTINEL"]

logger = logging.getLogger(__name__)

#: The sentinel file of the prefix layout.
PREFIX_SENTINEL = ".HASHSERVER_PREFIX"
#: A lock file older than this (seconds, by mtime) is stale (the hashserver's default).
LOCK_TIMEOUT = 120.0
_LOCK_POLL = 0.05
_LOCK_POLL_MAX = 1.0
_SUFFIXES = {"zstd": ".zst", "gzip": ".gz"}
_STORED_FORMS = ("", ".zst", ".gz")


def _compress(content: bytes, compression: str) -> bytes:
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(content)
    return gzip.compress(content)


class BufferFolderWriter:
    """Writes verified buffers into one hashserver directory (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"BufferFolderWriter({str(self.directory)!r})"

    @property
    def layout(self) -> str:
        """'prefix' when the sentinel file exists, else 'flat' (read on every call: cheap)."""
        return "prefix" if (self.directory / PREFIX_SENTINEL).exists() else "flat"

    def target_folder(self, checksum: str) -> Path:
        """The folder that holds ``checksum`` in the current layout."""
        if self.layout == "prefix":
            return self.directory / checksum[:2]
        return self.directory

    def _lock_paths(self, folder: Path, base: Path) -> list[Path]:
        paths = [self.directory / ".LOCK"]
        if folder != self.directory:
            paths.append(folder / ".LOCK")
        paths += [base.with_name(base.name + form + ".LOCK") for form in _STORED_FORMS]
        return paths

    @staticmethod
    def _fresh_lock(paths: Sequence[Path]) -> bool:
        now = time.time()
        for path in paths:
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if now - mtime < LOCK_TIMEOUT:
                return True
        return False

    def _wait_for_locks(self, folder: Path, base: Path) -> None:
        paths = self._lock_paths(folder, base)
        delay = _LOCK_POLL
        while self._fresh_lock(paths):
            time.sleep(delay)
            delay = min(delay * 2, _LOCK_POLL_MAX)

    @staticmethod
    def _already_stored(base: Path, checksum: str, length: int) -> bool:
        """True if ``base`` holds the buffer: an uncompressed file of the right length whose
        content hashes to ``checksum`` (a corrupt one is replaced), or a compressed form whose
        sidecar length matches or is unknown."""
        try:
            if base.stat().st_size == length:
                return calculate_checksum(base.read_bytes()) == checksum
            return False
        except FileNotFoundError:
            pass
        stored = BufferFolderWriter._compressed_length(base)
        return stored is None or stored == length

    @staticmethod
    def _compressed_length(base: Path) -> int | None | bool:
        """Length of a compressed form from its sidecar: None if unknown, False if absent."""
        for form in _STORED_FORMS[1:]:
            if base.with_name(base.name + form).exists():
                try:
                    sidecar = base.with_name(base.name + ".BUFFERLENGTH").read_text()
                    return int(sidecar.strip())
                except (OSError, ValueError):
                    return None
        return False

    def write_sync(self, checksum: str, content: bytes, *, compression: str | None = None) -> bool:
        """Store ``content`` under ``checksum``; False if it was already stored.

        Raises CorruptBufferError if ``content`` does not hash to ``checksum`` and OSError if the
        directory cannot be written.
        """
        if compression is not None and compression not in _SUFFIXES:
            raise ValueError(f"compression must be None, 'zstd' or 'gzip', not {compression!r}")
        actual = calculate_checksum(content)
        if actual != checksum:
            raise CorruptBufferError(
                f"fast-path write to {self.directory}", checksum=checksum, actual=actual
            )
        folder = self.target_folder(checksum)
        base = folder / checksum
        self._wait_for_locks(folder, base)
        if self._already_stored(base, checksum, len(content)):
            return False
        if folder != self.directory and not folder.is_dir():
            folder.mkdir(exist_ok=True)
            try:
                os.chmod(folder, 0o3775)
            except OSError:
                pass  # as the hashserver: the mode is best effort
        if compression is None:
            self._place(folder, base, content)
            try:
                base.with_name(base.name + ".BUFFERLENGTH").unlink()
            except FileNotFoundError:
                pass
        else:
            self._place(
                folder, base.with_name(base.name + ".BUFFERLENGTH"), str(len(content)).encode()
            )
            suffix = _SUFFIXES[compression]
            self._place(folder, base.with_name(base.name + suffix), _compress(content, compression))
        return True

    @staticmethod
    def _place(folder: Path, target: Path, data: bytes) -> None:
        """Write ``data`` to a temporary file in ``folder``, make it read-only, rename it."""
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
            os.chmod(temp, 0o444)
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise

    async def write(self, checksum: str, content: bytes, *, compression: str | None = None) -> bool:
        """`write_sync` in a worker thread (never blocks the event loop)."""
        return await asyncio.to_thread(self.write_sync, checksum, content, compression=compression)

    def remove_sync(self, checksum: str) -> None:
        """Delete the uncompressed file of ``checksum`` (only used for the probe buffer)."""
        try:
            (self.target_folder(checksum) / checksum).unlink()
        except FileNotFoundError:
            pass


BufferLengths = Callable[[Sequence[str]], Awaitable[Sequence[int | None]]]


class FastPath:
    """The fast path to one hashserver: its writer, once the server has confirmed it.

    ``confirm`` is the server's `/buffer-length` query over HTTP. The first `write` in a process
    probes (concurrent first writes share the probe); until then, and for good after a failed
    probe or write, `write` returns False and the caller uses HTTP.
    """

    def __init__(self, directory: str | os.PathLike[str], confirm: BufferLengths) -> None:
        self.writer = BufferFolderWriter(directory)
        self._confirm = confirm
        self._usable: bool | None = None
        self._probes: dict[int, asyncio.Future[bool]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FastPath({str(self.writer.directory)!r}, usable={self._usable})"

    @property
    def usable(self) -> bool | None:
        """True / False once probed, None before."""
        return self._usable

    async def _probe(self) -> bool:
        content = f"seamless fast-path probe {uuid.uuid4()}\n".encode()
        checksum = calculate_checksum(content)
        writer = self.writer
        try:
            await writer.write(checksum, content)
        except OSError as exc:
            logger.info("Fast path to %s not writable (%s); buffers go over HTTP", writer, exc)
            return False
        try:
            lengths = await self._confirm([checksum])
        except (RemoteError, OSError) as exc:
            logger.info("Fast path to %s not confirmed by the server (%s)", writer, exc)
            return False
        finally:
            await asyncio.to_thread(writer.remove_sync, checksum)
        if list(lengths) != [len(content)]:
            logger.info(
                "The hashserver does not serve %s (probe not seen); buffers go over HTTP",
                writer.directory,
            )
            return False
        logger.debug("Fast path to %s confirmed", writer.directory)
        return True

    async def ready(self) -> bool:
        """Probe once per process (shared by concurrent callers of one event loop)."""
        if self._usable is not None:
            return self._usable
        key = id(asyncio.get_running_loop())
        with self._lock:
            probe = self._probes.get(key)
            if probe is None:
                probe = asyncio.ensure_future(self._probe())
                self._probes[key] = probe
        usable = await asyncio.shield(probe)
        with self._lock:
            self._probes.pop(key, None)
            if self._usable is None:
                self._usable = usable
        return self._usable

    async def write(self, checksum: str, content: bytes) -> bool:
        """True if ``content`` is stored through the fast path; False: use HTTP instead."""
        if not await self.ready():
            return False
        try:
            await self.writer.write(checksum, content)
        except OSError as exc:
            logger.warning(
                "Fast-path write of %s to %s failed (%s); using HTTP from now on",
                checksum,
                self.writer.directory,
                exc,
            )
            self._usable = False
            return False
        return True
