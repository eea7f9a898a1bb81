"""seamless-jobserver: a single-machine HTTP job server for ``remote: jobserver``.

It runs transformation dicts sent by Seamless clients (this monorepo's or Seamless 1.x's) in
a pool of worker processes and stores the results in the clients' hashserver and database.
Start it with the ``seamless-jobserver`` console script (:mod:`seamless_jobserver.cli`).
"""

from .cli import DEFAULT_PORT, build_parser, main
from .errors import (
    BadRequestError,
    JobCanceledError,
    JobserverServerError,
    RecordModeMismatchError,
    StartupError,
)

__all__ = [
    "BadRequestError",
    "DEFAULT_PORT",
    "JobCanceledError",
    "JobserverServerError",
    "RecordModeMismatchError",
    "StartupError",
    "build_parser",
    "main",
]
