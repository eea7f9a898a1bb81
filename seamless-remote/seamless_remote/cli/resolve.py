"""`seamless-resolve CHECKSUM [--output FILE]`: fetch a buffer through the configured servers.

Configuration: `SEAMLESS_REMOTE_CLIENTS` (JSON remote-clients dict) if set, else the Seamless
configuration of the current directory (seamless.yaml, or `SEAMLESS_CACHE=DIR`), which must
select a cluster. Only buffer servers are used (the database is not needed).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

__all__ = ["main", "parse_checksum"]

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def parse_checksum(text: str) -> str:
    """A 64-hex checksum, given directly or as a path to a (.CHECKSUM) file."""
    if _HEX64.match(text):
        return text.lower()
    path = Path(text)
    if not path.exists() and Path(text + ".CHECKSUM").exists():
        path = Path(text + ".CHECKSUM")
    if not path.is_file():
        raise ValueError(f"{text!r} is neither a 64-character hex checksum nor a checksum file")
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            if not _HEX64.match(line):
                raise ValueError(f"{path}: {line[:80]!r} is not a 64-character hex checksum")
            return line.lower()
    raise ValueError(f"{path} contains no checksum")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seamless-resolve",
        description="Fetch the buffer of a checksum from the configured hashservers / read "
        "folders. Servers come from SEAMLESS_REMOTE_CLIENTS if set, else from the Seamless "
        "configuration of the current directory (seamless.yaml or SEAMLESS_CACHE=DIR).",
    )
    parser.add_argument("checksum", help="64-character hex checksum, or a .CHECKSUM file")
    parser.add_argument("--output", "-o", help="write the raw buffer to this file")
    parser.add_argument("--project", help="select this project (PROJECT[:SUBPROJECT])")
    parser.add_argument("--stage", help="select this stage (STAGE[:SUBSTAGE])")
    return parser


def _configure(args: argparse.Namespace) -> None:
    import seamless_config
    from seamless_config import select
    from seamless_config.extern_clients import set_remote_clients_from_env

    from .. import database_remote

    database_remote.DISABLED = True  # a pure buffer fetch
    if set_remote_clients_from_env():
        return
    if args.project:
        project, _, subproject = args.project.partition(":")
        select.select_project(project)
        select.select_subproject(subproject or None)
    select.select_execution("process")
    stage, substage = (args.stage.partition(":")[::2]) if args.stage else (None, "")
    seamless_config.set_stage(stage or None, substage or None, workdir=os.getcwd())
    if select.get_selected_cluster() is None:
        raise LookupError(
            "Cannot resolve without a cluster defined: set SEAMLESS_CACHE=DIR, select a "
            "cluster in seamless.yaml, or set SEAMLESS_REMOTE_CLIENTS"
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point of `seamless-resolve`; returns the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        checksum = parse_checksum(args.checksum)
    except ValueError as exc:
        print(f"seamless-resolve: {exc}", file=sys.stderr)
        return 2
    import seamless
    from seamless import CacheMissError, Checksum

    from ..errors import RemoteError

    try:
        _configure(args)
        buffer = Checksum(checksum).resolve()
    except CacheMissError:
        print(f"seamless-resolve: no configured server has buffer {checksum}", file=sys.stderr)
        return 1
    except (RemoteError, LookupError, RuntimeError, ValueError) as exc:
        print(f"seamless-resolve: {exc}", file=sys.stderr)
        return 1
    finally:
        seamless.close()
    if args.output:
        Path(args.output).write_bytes(buffer.content)
    else:
        try:
            sys.stdout.write(buffer.content.decode())
        except UnicodeDecodeError:
            sys.stdout.buffer.write(buffer.content)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
