"""Errors raised by seamless_config.

Every error derives from :class:`ConfigurationError` (itself a ``RuntimeError``, as in
Seamless 1.x) and, where one fits, from the builtin that callers of Seamless 1.x catch::

    RuntimeError
    └── ConfigurationError                      semantic errors (no cluster, no project, ...)
        ├── ConfigFileError (+ ValueError)      a bad entry in seamless.yaml / seamless.profile.yaml
        ├── InvalidSelectionError (+ ValueError)  a bad value for a selector (name, mode, queue, ...)
        ├── UnsafeValueError (+ ValueError)     a value that could change a launch template
        ├── ClusterDefinitionError (+ TypeError)  a bad cluster file, cluster, frontend or queue field
        ├── UnknownClusterError (+ KeyError)    a cluster name that is not defined
        │   └── UnknownClusterEntryError (+ ConfigFileError)  ... selected by a command file entry
        ├── RemoteClientsError (+ ValueError)   a malformed remote-clients dict
        ├── FrozenConfigurationError            the configuration was frozen by set_remote_clients
        ├── PureDaskModeError                   pure-Dask mode cannot be activated as configured, or
        │                                       refuses a Seamless transformation (the one class:
        │                                       seamless_transformer.errors re-exports it)
        ├── MissingDependencyError (+ ImportError)  an optional package that a mode needs is missing
        └── LaunchError                         a service could not be launched (missing command, lock)

Each error keeps what it is about as attributes (``path``, ``key``, ``value``, ``hint``) and
builds its message from them.
"""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()


class ConfigurationError(RuntimeError):
    """A configuration that Seamless cannot work with; the message says how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        value: Any = _UNSET,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.key = key
        self.value = None if value is _UNSET else value
        self._has_value = value is not _UNSET
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(f"{self.path}: ")
        if self.key is not None:
            parts.append(f"{self.key}: ")
        parts.append(self.message)
        if self._has_value:
            parts.append(f" (got {self.value!r})")
        if self.hint:
            parts.append(f". {self.hint}")
        return "".join(parts)


class ConfigFileError(ConfigurationError, ValueError):
    """An entry of a command file is malformed or not allowed."""


class InvalidSelectionError(ConfigurationError, ValueError):
    """A selector got a value it does not accept (bad name, unknown mode, unknown queue, ...)."""


class UnsafeValueError(ConfigurationError, ValueError):
    """A value contains characters that could change a launch template or a job script."""


class ClusterDefinitionError(ConfigurationError, TypeError):
    """A cluster definition (file, cluster, frontend, service or queue field) is invalid."""


class UnknownClusterError(ConfigurationError, KeyError):
    """A cluster name that no cluster file or ``clusters`` command defines."""

    def __str__(self) -> str:  # KeyError would otherwise show the repr of the message
        return ConfigurationError.__str__(self)


class UnknownClusterEntryError(UnknownClusterError, ConfigFileError):
    """A ``cluster`` command (file and entry in the message) naming an undefined cluster."""


class RemoteClientsError(ConfigurationError, ValueError):
    """A remote-clients entry lacks the URL or directory it needs."""


class FrozenConfigurationError(ConfigurationError):
    """The configuration can no longer change (remote clients were set by the parent)."""


class PureDaskModeError(ConfigurationError):
    """Pure-Dask mode cannot be activated as configured, or refuses a Seamless transformation.

    The one class for both: seamless_config raises it when pure-Dask mode is selected but cannot
    be activated with this cluster or remote (``PureDaskModeError(message, hint=...)``);
    seamless_transformer's guard raises it when a transformer is used while the mode is active
    (``PureDaskModeError(reason=..., action=...)``, which builds the message). The guard's
    import path ``seamless_transformer.errors.PureDaskModeError`` is this same class.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str | None = None,
        action: str = "create a transformation",
        path: str | None = None,
        key: str | None = None,
        value: Any = _UNSET,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.action = action
        if message is None:
            if reason is None:
                raise TypeError("PureDaskModeError needs a message or a reason")
            message = _refused_transformation(action, reason)
        super().__init__(message, path=path, key=key, value=value, hint=hint)


def _refused_transformation(action: str, reason: str) -> str:
    """The guard's message: what was refused, which settings chose the mode, what to do."""
    return (
        f"Cannot {action}: pure-Dask mode is active ({reason}). Seamless "
        "transformers (direct, delayed, seamless-run) need a hashserver and a database to "
        "store their results; in pure-Dask mode only a plain distributed.Client is "
        "available. Submit ordinary Dask work to it, or switch to persistent mode with "
        "'- persistent: true' in seamless.yaml (the cluster must define a hashserver and "
        "a database)."
    )


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional package that the selected mode needs is not installed."""

    def __init__(self, message: str, *, package: str, hint: str | None = None) -> None:
        self.package = package
        super().__init__(message, hint=hint)
        self.name = package


class LaunchError(ConfigurationError):
    """A service could not be launched: a command is missing, or its launch lock stays taken."""
