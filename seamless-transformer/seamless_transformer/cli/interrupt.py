"""Ctrl-C in a command-line tool: one line on stderr, then death by SIGINT (no traceback).

The tool's own ``finally`` (``seamless.close()``) has run when the interrupt leaves ``main``.
The process then ends by SIGINT, as an uncaught KeyboardInterrupt would end it, so that a
shell loop running the tool stops too.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Protocol

__all__ = ["interruptible"]


class Main(Protocol):
    """A console script's entry point."""

    def __call__(self, argv: list[str] | None = None) -> int: ...


def interruptible(prog: str) -> Callable[[Main], Main]:
    """Wrap a console script's ``main`` so that Ctrl-C prints ``<prog>: interrupted``."""

    def wrap(main: Main) -> Main:
        @functools.wraps(main)
        def wrapper(argv: list[str] | None = None) -> int:
            try:
                return main(argv)
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr, flush=True)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGINT)
                return 130  # where SIGINT does not end the process (not POSIX)

        return wrapper

    return wrap
