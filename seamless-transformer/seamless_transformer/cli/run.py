"""``seamless-run``: run a shell command as a cached Seamless bash transformation.

The files the command reads become inputs (by checksum); the command's stdout is the result.
A second run of the same command on the same files is a cache hit. A persistent cache is
required: ``SEAMLESS_CACHE=DIR``, a ``seamless.yaml`` / ``seamless.profile.yaml`` in the current
directory, or ``SEAMLESS_REMOTE_CLIENTS``. ``--dry`` only prints the transformation checksum.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .interrupt import interruptible

EPILOG = """examples:
  seamless-run 'seq 1 10 | tac'
  seamless-run 'cat a.txt | tac'            # a.txt is an input, by checksum
  seamless-run --dry 'wc -l data.csv'       # print the transformation checksum only
  SEAMLESS_CACHE=~/.seamless/cache seamless-run 'sort -n numbers.txt'
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of seamless-run."""
    parser = argparse.ArgumentParser(
        prog="seamless-run",
        description=(
            "Run a shell command as a cached Seamless transformation: the files it reads are "
            "inputs (by checksum), its stdout is the result."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="+", help="the command (quote pipelines)")
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="PATH",
        help="add a file or directory as an input (repeatable)",
    )
    parser.add_argument(
        "--primary",
        type=int,
        default=1,
        metavar="N",
        help="which command of a pipeline/list is analysed for file arguments (1-based)",
    )
    parser.add_argument("-g1", dest="rule1", action="store_false", help="disable argtyping rule R1")
    parser.add_argument("-g2", dest="rule2", action="store_false", help="disable argtyping rule R2")
    parser.add_argument(
        "--dry",
        action="store_true",
        help="build the transformation and print its checksum; run nothing, store nothing",
    )
    parser.add_argument(
        "-j",
        "--job-dir",
        metavar="DIR",
        help="with --dry: write DIR/transformation.json and DIR/command.txt",
    )
    parser.add_argument("--local", action="store_true", help="execute in this process")
    parser.add_argument(
        "--scratch", action="store_true", help="do not store the result buffer (only its checksum)"
    )
    parser.add_argument(
        "--direct-print", action="store_true", help="print the command's output as it runs"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="report the checksums and cache use on stderr"
    )
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"seamless-run: {message}", file=sys.stderr)
    return code


@interruptible("seamless-run")
def main(argv: list[str] | None = None) -> int:
    """Entry point of the seamless-run console script."""
    args = build_parser().parse_args(argv)
    from .bash_job import ArgTypingError, build_bash_job

    command = " ".join(args.command)
    try:
        job = build_bash_job(
            command, inputs=args.input, primary=args.primary, rule1=args.rule1, rule2=args.rule2
        )
    except (ArgTypingError, ValueError) as exc:
        return _fail(str(exc), 2)
    meta = {"local": args.local, "scratch": args.scratch, "__direct_print__": args.direct_print}
    if args.dry:
        transformation = job.transformation(meta=meta)
        checksum = transformation.construct_from()
        if args.job_dir:
            from ..transformation_dict import identity_dict, plain_bytes

            os.makedirs(args.job_dir, exist_ok=True)
            with open(os.path.join(args.job_dir, "transformation.json"), "wb") as f:
                f.write(plain_bytes(identity_dict(transformation.build_dict())))
            with open(os.path.join(args.job_dir, "command.txt"), "w", encoding="utf-8") as f:
                f.write(command + "\n")
        print(checksum.hex())
        return 0
    from .cache import NoPersistentCacheError, activate_persistent_cache, check_configured

    try:
        check_configured(hint="use --dry to only build the job")
    except NoPersistentCacheError as exc:
        return _fail(str(exc))
    import seamless

    try:
        try:
            activate_persistent_cache(require="database")
        except NoPersistentCacheError as exc:
            return _fail(str(exc))
        from ..transformation_cache import get_transformation_cache

        transformation = job.transformation(meta=meta)
        result = transformation.compute()
        if result is None:
            return _fail(transformation.exception or "the transformation failed")
        output = transformation.run()
        if args.verbose:
            stats = get_transformation_cache().stats
            print(
                json.dumps(
                    {
                        "transformation": transformation.checksum.hex(),
                        "result": result.hex(),
                        "cache": stats,
                    }
                ),
                file=sys.stderr,
            )
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
        return 0
    except Exception as exc:  # noqa: BLE001 (top level: one clear line, exit 1)
        return _fail(f"{type(exc).__name__}: {exc}")
    finally:
        seamless.close()


if __name__ == "__main__":
    sys.exit(main())
