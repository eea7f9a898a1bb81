"""Messages every user should see by default (the Dask dashboard link), sent through logging.

Library code never prints. A notice is an INFO record of the logger ``seamless_config.notices``,
whose level is INFO unless the application set one before this module was imported.

- While the application has configured no logging (no handler on that logger, its ancestors or
  the root logger), a notice still reaches ``sys.stderr`` as the bare message, through one
  handler attached here at import (``distributed`` does the same for its own logger).
- Once the application has configured logging (``logging.basicConfig()``, ``dictConfig``, a
  handler of its own), that handler stays silent and notices reach the application's handlers
  only, so they are never shown twice.

To silence notices: ``logging.getLogger("seamless_config.notices").setLevel(logging.WARNING)``.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["NOTICES_LOGGER", "notice"]

NOTICES_LOGGER = "seamless_config.notices"

logger = logging.getLogger(NOTICES_LOGGER)


class DefaultNoticeHandler(logging.Handler):
    """Writes a notice to the current ``sys.stderr`` unless another handler receives it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if _handled_elsewhere(logging.getLogger(record.name)):
            return
        try:
            stream = sys.stderr  # looked up now: follows redirections of sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001  (logging's own contract: report, never raise)
            self.handleError(record)


def _handled_elsewhere(start: logging.Logger) -> bool:
    """True when a handler other than a DefaultNoticeHandler would receive a record of
    ``start`` (the hierarchy walk of ``Logger.callHandlers``)."""
    current: logging.Logger | None = start
    while current is not None:
        if any(not isinstance(h, DefaultNoticeHandler) for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def _install() -> None:
    """Set the default level and attach the default handler, once per process."""
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not any(isinstance(h, DefaultNoticeHandler) for h in logger.handlers):
        logger.addHandler(DefaultNoticeHandler())


_install()


def notice(message: str, *args: object) -> None:
    """Log ``message % args`` at INFO on the notices logger: visible by default (see above)."""
    logger.info(message, *args)
