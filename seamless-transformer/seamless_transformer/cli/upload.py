"""``seamless-upload FILE|DIR ...``: upload buffers to the hashserver and write sidecars.

A file X gets ``X.CHECKSUM``; a directory DIR has every file inside it uploaded and gets
``DIR.INDEX`` (its deepfolder index) and ``DIR.CHECKSUM`` (the checksum of that index). Buffers
that every write hashserver already stores are not sent again. Sidecars are written atomically
and only after the upload succeeded. Prints ``CHECKSUM  PATH`` per argument on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field

from seamless import Buffer, Checksum

from ..errors import SeamlessTransformerError
from .interrupt import interruptible

EPILOG = """examples:
  SEAMLESS_CACHE=~/.seamless/cache seamless-upload data.csv    # writes data.csv.CHECKSUM
  seamless-upload inputs/                   # writes inputs.INDEX and inputs.CHECKSUM
  seamless-download data.csv                # the reverse (from data.csv.CHECKSUM)
"""

#: Show a progress bar from this many files on (and only on a terminal).
PROGRESS_MIN_FILES = 10
#: Uploads in flight at the same time.
CONCURRENCY = 8


class UploadError(SeamlessTransformerError, RuntimeError):
    """Uploading ``path`` failed (the message says why)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass
class FileEntry:
    """One file to upload; ``checksum`` and ``size`` are known after hashing."""

    path: str
    checksum: Checksum | None = None
    size: int = 0
    done: bool = False


@dataclass
class Target:
    """One command-line argument: a file, or a directory with its files by relative path."""

    path: str
    directory: bool
    files: dict[str, FileEntry] = field(default_factory=dict)


@dataclass
class UploadReport:
    """What an upload did: per-file outcomes and errors."""

    uploaded: int = 0
    uploaded_bytes: int = 0
    present: int = 0
    errors: list[UploadError] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of seamless-upload."""
    parser = argparse.ArgumentParser(
        prog="seamless-upload",
        description=(
            "Upload files and directories to the configured hashserver and write X.CHECKSUM "
            "sidecars (directories also get DIR.INDEX). Needs a persistent cache: "
            "SEAMLESS_CACHE=DIR, seamless.yaml / seamless.profile.yaml, or "
            "SEAMLESS_REMOTE_CLIENTS."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="files or directories")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="report each file uploaded or skipped"
    )
    return parser


def collect_targets(paths: list[str]) -> tuple[list[Target], list[str]]:
    """The targets for ``paths`` and the problems found (missing paths); sidecars are skipped."""
    targets: list[Target] = []
    problems: list[str] = []
    from .sidecars import directory_files, is_sidecar

    for raw in paths:
        path = raw.rstrip("/") or raw
        if is_sidecar(path):
            print(f"seamless-upload: skipping sidecar {path}", file=sys.stderr)
            continue
        if os.path.isdir(path):
            files = {rel: FileEntry(full) for rel, full in directory_files(path)}
            targets.append(Target(path, True, files))
        elif os.path.isfile(path):
            targets.append(Target(path, False, {"": FileEntry(path)}))
        else:
            problems.append(f"{raw}: no such file or directory")
    return targets, problems


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


async def _hash(entry: FileEntry) -> None:
    content = await asyncio.to_thread(_read, entry.path)
    entry.size = len(content)
    entry.checksum = await Buffer(content).get_checksum_async()


async def _stored(checksums: list[str]) -> set[str]:
    """The checksums that every write hashserver already stores (buffer-length > 0)."""
    from seamless_remote.registry import get_remote_registry

    present = set(checksums)
    for client in get_remote_registry().buffer_write_servers:
        candidates = sorted(present)
        if not candidates:
            break
        lengths = await client.buffer_lengths(candidates)
        present = {cs for cs, length in zip(candidates, lengths, strict=True) if length}
    return present


async def _upload(entry: FileEntry) -> None:
    from seamless_remote import buffer_remote

    assert entry.checksum is not None
    content = await asyncio.to_thread(_read, entry.path)
    buffer = Buffer(content)
    if await buffer.get_checksum_async() != entry.checksum:
        raise UploadError(entry.path, "the file changed while it was being uploaded")
    if not await buffer_remote.write_buffer(entry.checksum, buffer):
        raise UploadError(entry.path, "no writable hashserver accepted the buffer")


async def upload_targets(
    targets: list[Target], *, verbose: bool = False, progress: bool | None = None
) -> UploadReport:
    """Upload every file of ``targets`` that the servers lack, then write the sidecars."""
    from tqdm import tqdm

    report = UploadReport()
    entries = [entry for target in targets for entry in target.files.values()]
    limit = asyncio.Semaphore(CONCURRENCY)

    async def hashed(entry: FileEntry) -> None:
        async with limit:
            try:
                await _hash(entry)
            except OSError as exc:
                report.errors.append(UploadError(entry.path, f"cannot read: {exc}"))

    await asyncio.gather(*(hashed(entry) for entry in entries))
    hashed_entries = [(e, e.checksum.hex()) for e in entries if e.checksum is not None]
    stored = await _stored(sorted({hexcs for _, hexcs in hashed_entries}))
    todo: dict[str, list[FileEntry]] = {}
    for entry, hexcs in hashed_entries:
        if hexcs in stored:
            entry.done = True
            report.present += 1
            if verbose:
                print(f"already stored: {entry.path}", file=sys.stderr)
        else:
            todo.setdefault(hexcs, []).append(entry)
    show = progress if progress is not None else len(entries) >= PROGRESS_MIN_FILES
    bar = tqdm(
        total=sum(group[0].size for group in todo.values()),
        unit="B",
        unit_scale=True,
        desc="seamless-upload",
        disable=None if show else True,
    )

    async def uploaded(group: list[FileEntry]) -> None:
        first = group[0]
        async with limit:
            try:
                await _upload(first)
            except UploadError as exc:
                report.errors.append(exc)
                return
            except Exception as exc:  # noqa: BLE001 (reported per file in the upload report)
                report.errors.append(UploadError(first.path, f"{type(exc).__name__}: {exc}"))
                return
        for entry in group:
            entry.done = True
        report.uploaded += 1
        report.uploaded_bytes += first.size
        bar.update(first.size)
        if verbose:
            print(f"uploaded: {first.path}", file=sys.stderr)

    try:
        await asyncio.gather(*(uploaded(group) for group in todo.values()))
    finally:
        bar.close()
    for target in targets:
        await _finish(target, report)
    return report


async def _finish(target: Target, report: UploadReport) -> None:
    """Write the sidecars of ``target`` if all of its files are on the server."""
    from seamless_remote import buffer_remote

    from .sidecars import index_buffer, write_checksum, write_index

    if not all(entry.done for entry in target.files.values()):
        if target.directory:
            report.errors.append(
                UploadError(target.path, "not all files were uploaded; no .INDEX written")
            )
        return
    try:
        if not target.directory:
            checksum = target.files[""].checksum
            assert checksum is not None
            write_checksum(target.path, checksum)
            print(f"{checksum.hex()}  {target.path}")
            return
        checksums: dict[str, Checksum] = {}
        for rel, entry in target.files.items():
            assert entry.checksum is not None  # done, so hashed (checked above)
            checksums[rel] = entry.checksum
        index_buf = index_buffer(checksums)
        index_checksum = index_buf.get_checksum()
        if await _stored([index_checksum.hex()]):
            report.present += 1
        elif await buffer_remote.write_buffer(index_checksum, index_buf):
            report.uploaded += 1
            report.uploaded_bytes += len(index_buf.content)
        else:
            raise OSError("no writable hashserver accepted the index buffer")
        write_index(target.path, index_buf)
        print(f"{index_checksum.hex()}  {target.path}")
    except Exception as exc:  # noqa: BLE001 (reported per file in the upload report)
        report.errors.append(UploadError(target.path, f"{type(exc).__name__}: {exc}"))


def _fail(message: str, code: int = 1) -> int:
    print(f"seamless-upload: {message}", file=sys.stderr)
    return code


@interruptible("seamless-upload")
def main(argv: list[str] | None = None) -> int:
    """Entry point of the seamless-upload console script."""
    args = build_parser().parse_args(argv)
    from .cache import NoPersistentCacheError, activate_persistent_cache, check_configured

    try:
        check_configured()
    except NoPersistentCacheError as exc:
        return _fail(str(exc))
    targets, problems = collect_targets(args.paths)
    if problems:
        for problem in problems:
            _fail(problem)
        return 2
    import seamless

    from ..event_loop import run_sync

    try:
        try:
            activate_persistent_cache(require="buffer_write")
        except NoPersistentCacheError as exc:
            return _fail(str(exc))
        report = run_sync(upload_targets(targets, verbose=args.verbose), what="seamless-upload")
    except Exception as exc:  # noqa: BLE001 (top level: one clear line, exit 1)
        return _fail(f"{type(exc).__name__}: {exc}")
    finally:
        seamless.close()
    print(
        f"seamless-upload: {report.uploaded} buffer(s) uploaded ({report.uploaded_bytes} bytes), "
        f"{report.present} already stored",
        file=sys.stderr,
    )
    for error in report.errors:
        _fail(str(error))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
