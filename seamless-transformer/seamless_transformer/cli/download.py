"""``seamless-download FILE|CHECKSUM ...``: fetch buffers named by sidecars and write the files.

``X`` (or ``X.CHECKSUM``) with a ``X.CHECKSUM`` sidecar becomes the file X; ``DIR`` with
``DIR.INDEX`` (or with ``DIR.CHECKSUM`` and ``--directory``) becomes the directory DIR. A bare
64-hex checksum needs ``-o/--output`` or ``--stdout``. Every buffer is verified against its
checksum and written atomically; files that already have the right content are left alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from dataclasses import dataclass, field

from seamless import Buffer, Checksum

from ..errors import SeamlessTransformerError
from .interrupt import interruptible

EPILOG = """examples:
  seamless-download data.csv              # from data.csv.CHECKSUM
  seamless-download inputs                # from inputs.INDEX (and inputs.CHECKSUM)
  seamless-download 5b0d...e2a1 -o x.bin  # a bare checksum
  seamless-download data.csv.CHECKSUM --stdout
"""

#: Show a progress bar from this many files on (and only on a terminal).
PROGRESS_MIN_FILES = 10
#: Downloads in flight at the same time.
CONCURRENCY = 8

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class DownloadError(SeamlessTransformerError, RuntimeError):
    """Downloading ``path`` failed (the message says why)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass
class Request:
    """One argument: write ``checksum`` to ``path`` (a directory when ``directory``)."""

    path: str | None
    checksum: Checksum
    directory: bool = False
    index: dict[str, str] | None = None


@dataclass
class DownloadReport:
    """What a download did."""

    written: int = 0
    written_bytes: int = 0
    skipped: int = 0
    errors: list[DownloadError] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of seamless-download."""
    parser = argparse.ArgumentParser(
        prog="seamless-download",
        description=(
            "Download the buffers named by X.CHECKSUM / DIR.INDEX sidecars (or bare checksums) "
            "from the configured hashservers and write the files. Needs a persistent cache: "
            "SEAMLESS_CACHE=DIR, seamless.yaml / seamless.profile.yaml, or "
            "SEAMLESS_REMOTE_CLIENTS."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "items", nargs="+", metavar="FILE|CHECKSUM", help="files, directories or checksums"
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write here instead (a single argument only)"
    )
    parser.add_argument(
        "--stdout", action="store_true", help="write the buffer to stdout (a single file only)"
    )
    parser.add_argument(
        "--directory",
        action="store_true",
        help="the checksum is a directory index (deepfolder): recreate the directory",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="report each file written or skipped"
    )
    return parser


def parse_request(item: str, *, directory: bool = False, output: str | None = None) -> Request:
    """The request for one argument (reads the sidecars; raises ValueError naming the problem)."""
    from .sidecars import CHECKSUM_SUFFIX, INDEX_SUFFIX, read_checksum, read_index

    if _HEX64.match(item) and not os.path.exists(item + CHECKSUM_SUFFIX):
        return Request(output, Checksum(item.lower()), directory=directory)
    path = item.rstrip("/") or item
    if path.endswith(CHECKSUM_SUFFIX):
        path = path[: -len(CHECKSUM_SUFFIX)]
    checksum = read_checksum(path)
    if os.path.isfile(path + INDEX_SUFFIX):
        index, index_buf = read_index(path)
        if checksum is not None and index_buf.get_checksum() != checksum:
            raise ValueError(
                f"{path}{INDEX_SUFFIX} does not match {path}{CHECKSUM_SUFFIX}; remove the stale one"
            )
        return Request(output or path, index_buf.get_checksum(), directory=True, index=index)
    if checksum is None:
        raise ValueError(
            f"{item}: no {path}{CHECKSUM_SUFFIX} or {path}{INDEX_SUFFIX} sidecar, "
            "and not a 64-character hex checksum"
        )
    return Request(output or path, checksum, directory=directory)


def _matches(path: str, checksum: Checksum) -> bool:
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return Buffer(f.read()).get_checksum() == checksum


async def _fetch(checksum: Checksum, path: str) -> bytes:
    """The verified content of ``checksum`` (``path`` is named in errors)."""
    from seamless_remote import buffer_remote

    try:
        buffer = await buffer_remote.get_buffer(checksum)
    except Exception as exc:  # noqa: BLE001 (any read failure becomes this file's DownloadError)
        raise DownloadError(path, f"{type(exc).__name__}: {exc}") from None
    if buffer is None:
        raise DownloadError(path, f"no configured server has buffer {checksum.hex()}")
    content = buffer.content
    if await Buffer(content).get_checksum_async() != checksum:
        raise DownloadError(path, f"the buffer received does not match {checksum.hex()}")
    return content


def _check_relative(path: str, relative: str) -> str:
    normal = os.path.normpath(relative)
    if os.path.isabs(normal) or normal == ".." or normal.startswith(".." + os.sep):
        raise DownloadError(path, f"index entry {relative!r} leaves the directory")
    return os.path.join(path, normal)


async def download(
    requests: list[Request], *, verbose: bool = False, progress: bool | None = None
) -> DownloadReport:
    """Write every file of ``requests`` whose content is missing or wrong."""
    from tqdm import tqdm

    from .sidecars import write_atomic

    report = DownloadReport()
    files: list[tuple[str, Checksum]] = []
    for request in requests:
        assert request.path is not None
        if not request.directory:
            files.append((request.path, request.checksum))
            continue
        try:
            index = request.index
            if index is None:
                index = Buffer(await _fetch(request.checksum, request.path)).get_value("plain")
            for relative, hex_checksum in sorted(index.items()):
                target = _check_relative(request.path, relative)
                files.append((target, Checksum(hex_checksum)))
        except DownloadError as exc:
            report.errors.append(exc)
    limit = asyncio.Semaphore(CONCURRENCY)
    show = progress if progress is not None else len(files) >= PROGRESS_MIN_FILES
    bar = tqdm(
        total=len(files), unit="file", desc="seamless-download", disable=None if show else True
    )

    async def fetched(path: str, checksum: Checksum) -> None:
        async with limit:
            try:
                if await asyncio.to_thread(_matches, path, checksum):
                    report.skipped += 1
                    if verbose:
                        print(f"up to date: {path}", file=sys.stderr)
                    return
                content = await _fetch(checksum, path)
                parent = os.path.dirname(path)
                if parent:
                    os.makedirs(parent, exist_ok=True)
                await asyncio.to_thread(write_atomic, path, content)
            except DownloadError as exc:
                report.errors.append(exc)
                return
            except OSError as exc:
                report.errors.append(DownloadError(path, f"cannot write: {exc}"))
                return
            finally:
                bar.update(1)
        report.written += 1
        report.written_bytes += len(content)
        if verbose:
            print(f"written: {path}", file=sys.stderr)

    try:
        await asyncio.gather(*(fetched(path, checksum) for path, checksum in files))
    finally:
        bar.close()
    return report


def _fail(message: str, code: int = 1) -> int:
    print(f"seamless-download: {message}", file=sys.stderr)
    return code


@interruptible("seamless-download")
def main(argv: list[str] | None = None) -> int:
    """Entry point of the seamless-download console script."""
    args = build_parser().parse_args(argv)
    if (args.output or args.stdout) and len(args.items) != 1:
        return _fail("-o/--output and --stdout take a single argument", 2)
    if args.output and args.stdout:
        return _fail("give -o/--output or --stdout, not both", 2)
    from .cache import NoPersistentCacheError, activate_persistent_cache, check_configured

    try:
        check_configured()
    except NoPersistentCacheError as exc:
        return _fail(str(exc))
    try:
        requests = [
            parse_request(item, directory=args.directory, output=args.output) for item in args.items
        ]
    except (OSError, ValueError) as exc:
        return _fail(str(exc), 2)
    for request in requests:
        if request.path is None and not args.stdout:
            return _fail(f"{request.checksum.hex()}: a bare checksum needs -o FILE or --stdout", 2)
        if args.stdout and request.directory:
            return _fail("--stdout cannot write a directory", 2)
    import seamless

    from ..event_loop import run_sync

    try:
        try:
            activate_persistent_cache(require="buffer_read")
        except NoPersistentCacheError as exc:
            return _fail(str(exc))
        if args.stdout:
            request = requests[0]
            label = request.path or request.checksum.hex()
            content = run_sync(_fetch(request.checksum, label), what="seamless-download")
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return 0
        report = run_sync(download(requests, verbose=args.verbose), what="seamless-download")
    except DownloadError as exc:
        return _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 (top level: one clear line, exit 1)
        return _fail(f"{type(exc).__name__}: {exc}")
    finally:
        seamless.close()
    print(
        f"seamless-download: {report.written} file(s) written ({report.written_bytes} bytes), "
        f"{report.skipped} already up to date",
        file=sys.stderr,
    )
    for error in report.errors:
        _fail(str(error))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
