"""``seamless-init [--stage STAGE[:SUBSTAGE]]``: load the configuration of the current directory
and start (or verify) the services it selects."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "parse_stage"]


def parse_stage(value: str) -> tuple[str, str | None]:
    """Split ``STAGE[:SUBSTAGE]`` at the first ':'; an empty substage means none."""
    stage, _, substage = value.partition(":")
    if not stage:
        raise argparse.ArgumentTypeError(f"--stage needs a stage name before ':' (got {value!r})")
    return stage, substage or None


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seamless-init",
        description="Load seamless.yaml / seamless.profile.yaml of the current directory and start or "
        "verify the services they select (hashserver, database, job server or Dask server).",
    )
    parser.add_argument(
        "--stage",
        type=parse_stage,
        metavar="STAGE[:SUBSTAGE]",
        help="select this stage (and substage) before loading the configuration",
    )
    return parser


def _ensure_services() -> None:
    from seamless_config import select

    cluster = select.get_selected_cluster()
    if cluster is None or select.is_pure_dask_mode() or not select.get_persistent():
        return  # pure-Dask mode was activated by set_stage itself; nothing else to start
    from seamless_config.extern_clients import service_hook

    names = ["buffer", "database"]
    if select.get_execution() == "remote":
        target = select.check_remote_redundancy(cluster)
        if target is not None:
            names.append(target)
    for name in names:
        module = service_hook(name, purpose="seamless-init")
        ensure = getattr(module, "ensure_initialized", None)
        if ensure is not None and not getattr(module, "DISABLED", False):
            ensure()


def main(argv: list[str] | None = None) -> int:
    """Entry point of seamless-init."""
    args = _build_parser().parse_args(argv)
    if os.environ.get("SEAMLESS_REMOTE_CLIENTS"):
        return 0
    import seamless_config
    from seamless_config.errors import ConfigurationError

    try:
        if args.stage is not None:
            stage, substage = args.stage
            seamless_config.set_stage(stage, substage, workdir=os.getcwd())
        else:
            seamless_config.init(workdir=os.getcwd())
        _ensure_services()
    except ConfigurationError as exc:
        print(f"seamless-init: {exc}", file=sys.stderr)
        return 1
    finally:
        seamless = sys.modules.get("seamless")
        if seamless is not None and callable(getattr(seamless, "close", None)):
            seamless.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
