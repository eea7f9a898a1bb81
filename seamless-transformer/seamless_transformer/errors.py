"""Exceptions raised by seamless_transformer.

Hierarchy (every class also derives from the builtin named in brackets)::

    SeamlessTransformerError
    ├── TransformationError [RuntimeError]      a transformation failed, or is not in the
    │   │                                       state the call needs (not constructed, ...)
    │   ├── TransformationTimeoutError          it ran longer than its timeout
    │   └── BashTransformationError             a bash transformer exited non-zero or made
    │                                           no RESULT
    ├── RemoteBackendError [RuntimeError]       execution "remote" without a registered backend
    ├── SpawnError [RuntimeError]               spawn() misused (twice, bad count)
    ├── CelltypeError [ValueError]              unknown or unsupported celltype for a pin
    ├── cli.cache.NoPersistentCacheError [RuntimeError]   a CLI found no (suitable) cache
    ├── cli.upload.UploadError [RuntimeError]   seamless-upload failed for one path
    └── cli.download.DownloadError [RuntimeError]   seamless-download failed for one path

Re-exported from seamless_config (the same class object, defined once in the lowest layer so
that catching it by either name catches every raise)::

    seamless_config.errors.ConfigurationError [RuntimeError]
    └── PureDaskModeError                        transformers are forbidden in pure-Dask mode
                                                (and pure-Dask mode cannot be activated)
"""

from __future__ import annotations

from seamless_config.errors import PureDaskModeError


class SeamlessTransformerError(Exception):
    """Base class of every error raised by seamless_transformer."""


class TransformationError(SeamlessTransformerError, RuntimeError):
    """A transformation failed, or is not in the state that the call needs."""


class TransformationTimeoutError(TransformationError):
    """A transformation ran longer than its timeout; its work was stopped where it could be."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(timeout)

    def __str__(self) -> str:
        return f"Transformation timed out after {self.timeout:g} s"


class BashTransformationError(TransformationError):
    """A bash transformer failed: non-zero exit code, or no RESULT was produced."""

    def __init__(self, *, code: str, returncode: int | None, detail: str = "") -> None:
        self.code = code
        self.returncode = returncode
        self.detail = detail
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = ["Bash transformer exception"]
        if self.returncode is not None:
            lines.append(f"Error: Return code {self.returncode}")
        if self.detail:
            lines.append(self.detail)
        lines.append("*" * 60)
        lines.append(self.code.rstrip("\n"))
        lines.append("*" * 60)
        return "\n".join(lines)


class RemoteBackendError(SeamlessTransformerError, RuntimeError):
    """Execution "remote" was selected but no remote executor is registered."""

    def __init__(self, *, remote: str | None) -> None:
        self.remote = remote
        super().__init__(str(self))

    def __str__(self) -> str:
        target = f" (remote: {self.remote})" if self.remote else ""
        return (
            f"Execution 'remote'{target} is selected, but no remote executor is registered. "
            "One is registered when seamless_config activates a cluster with a "
            "daskserver or jobserver (seamless.config.init() / set_stage()), by "
            "seamless_dask.set_seamless_dask_client(), or by calling "
            "seamless_transformer.executors.register_executor(). Alternatively "
            "select '- execution: process' (or 'spawn') in seamless.yaml, or set "
            "transformer.local = True to run this transformer in-process."
        )


class SpawnError(SeamlessTransformerError, RuntimeError):
    """spawn() was called twice, or with an invalid number of workers."""


class CelltypeError(SeamlessTransformerError, ValueError):
    """A pin or result was given a celltype that is unknown or not supported there."""

    def __init__(self, *, pin: str, celltype: object, allowed: tuple[str, ...]) -> None:
        self.pin = pin
        self.celltype = celltype
        self.allowed = allowed
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"Celltype {self.celltype!r} is not allowed for pin {self.pin!r}; "
            f"use one of: {', '.join(self.allowed)}"
        )


__all__ = [
    "BashTransformationError",
    "CelltypeError",
    "PureDaskModeError",
    "RemoteBackendError",
    "SeamlessTransformerError",
    "SpawnError",
    "TransformationError",
]
