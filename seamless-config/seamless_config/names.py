"""Names and values from configuration are data: the checks that keep them so.

Two guards, used where values are read and again where they leave for other programs:

- :func:`check_name` for the names of clusters, queues, projects, stages, substages and
  nodes: letters, digits, ``_``, ``.`` and ``-``, not starting with ``.`` or ``-`` (so ``.``
  and ``..`` can never be a path segment). Subprojects are such names joined by ``/``.
  The Seamless 1.x rules stay: ``--`` and ``STAGE-`` are reserved for launch keys and storage
  paths (not for queues and nodes, which 1.x did not restrict).
- :func:`template_value`, the one function that every value passes through on its way into a
  remote-http-launcher template. The launcher evaluates key and command templates as Python
  f-strings, so ``{``, ``}``, quotes and backslashes are refused even if a name check upstream
  was missed.
- :func:`launcher_directory` and :func:`launcher_host` refuse, where a value is read, what
  remote-http-launcher would refuse later (a workdir outside ``[A-Za-z0-9@_./~-]``, a host that
  is not a hostname or IP address), so the error names the file and entry, not the launch dict.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .errors import InvalidSelectionError, UnsafeValueError

__all__ = [
    "NAME_KINDS",
    "NAME_RULE",
    "TEMPLATE_FORBIDDEN",
    "LAUNCHER_DIRECTORY_CHARACTERS",
    "check_name",
    "launcher_directory",
    "launcher_host",
    "name_problem",
    "template_value",
]

NAME_KINDS = ("cluster", "queue", "project", "subproject", "stage", "substage", "node")

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_RESERVED = ("--", "STAGE-")
_UNRESERVED_KINDS = ("queue", "node")

TEMPLATE_FORBIDDEN = frozenset("{}'\"\\")
"""Characters never allowed in a value that reaches a launcher template (f-string syntax)."""

LAUNCHER_DIRECTORY_CHARACTERS = "letters, digits and '@', '_', '.', '/', '~', '-'"
"""What remote-http-launcher accepts in a service workdir (its ``DIRNAME_RE``)."""

_LAUNCHER_DIRECTORY_RE = re.compile(r"[A-Za-z0-9@_./~-]+")
_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

NAME_RULE = (
    "Use letters, digits, '_', '.' and '-', not starting with '.' or '-'"
    " (and neither '--' nor 'STAGE-')"
)


def name_problem(kind: str, value: Any) -> str | None:
    """What is wrong with ``value`` as a ``kind`` name, or None when it is fine."""
    if kind not in NAME_KINDS:
        raise ValueError(f"unknown name kind {kind!r}; expected one of {', '.join(NAME_KINDS)}")
    if not isinstance(value, str) or not value:
        return f"{kind} name must be a non-empty string"
    segments = value.split("/") if kind == "subproject" else [value]
    for segment in segments:
        if not segment:
            return f"{kind} name has an empty path segment"
        if not _NAME_RE.fullmatch(segment):
            bad = sorted({c for c in segment if not (c.isascii() and (c.isalnum() or c in "_.-"))})
            if bad:
                return f"{kind} name may not contain {', '.join(repr(c) for c in bad)}"
            return f"{kind} name may not start with {segment[0]!r}"
    if kind not in _UNRESERVED_KINDS:
        for reserved in _RESERVED:
            if reserved in value:
                return f"{kind} name may not contain '{reserved}'"
    return None


def check_name(kind: str, value: Any) -> str:
    """Return ``value`` if it is a valid ``kind`` name; else raise InvalidSelectionError.

    The error carries ``key=kind`` and the value; callers that know the file and entry
    (the command language, cluster files) add them.
    """
    problem = name_problem(kind, value)
    if problem is not None:
        hint = NAME_RULE if kind not in _UNRESERVED_KINDS else NAME_RULE.split(" (and")[0]
        if kind == "subproject":
            hint += "; '/' separates subproject segments"
        raise InvalidSelectionError(problem, key=kind, value=value, hint=hint)
    return value


def template_value(value: Any, *, what: str) -> str:
    """``str(value)``, refused when it could change a launcher template (``{ } ' " \\``).

    Every value injected into a remote-http-launcher key, command, workdir or log template
    passes through here; ``what`` names where it came from (a file and entry, a setting).
    Control characters (newlines) are refused too: keys and commands are single lines.
    """
    text = str(value)
    bad = sorted({c for c in text if c in TEMPLATE_FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    if bad:
        raise UnsafeValueError(
            f"{', '.join(repr(c) for c in bad)} may not appear in a value used in launch templates",
            key=what,
            value=value,
            hint="Configuration values are data; remove these characters",
        )
    return text


def launcher_directory(value: Any, *, what: str) -> str:
    """``value`` if remote-http-launcher accepts it in a workdir, else UnsafeValueError.

    The launcher refuses every workdir that is not made of ``[A-Za-z0-9@_./~-]`` (so a space,
    ``$``, ``;``, quotes, ...); ``what`` names the file and entry or the variable it came from.
    """
    text = str(value)
    if _LAUNCHER_DIRECTORY_RE.fullmatch(text):
        return text
    if not text:
        problem = "a service directory may not be empty"
    else:
        bad = sorted({c for c in text if not _LAUNCHER_DIRECTORY_RE.fullmatch(c)})
        problem = (
            f"{', '.join(repr(c) for c in bad)} may not appear in a service directory: "
            f"remote-http-launcher accepts only {LAUNCHER_DIRECTORY_CHARACTERS}"
        )
    raise UnsafeValueError(
        problem,
        key=what,
        value=value,
        hint="Use a path without spaces or special characters "
        "(for example a symbolic link without them that points to this directory)",
    )


def _is_host(text: str) -> bool:
    """remote-http-launcher's hostname-or-IP rule (``_is_valid_hostname_or_ip``)."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    if len(text) > 253:
        return False
    labels = (text[:-1] if text.endswith(".") else text).split(".")
    return all(_HOST_LABEL_RE.fullmatch(label) for label in labels)


def launcher_host(value: Any, *, what: str) -> str:
    """``value`` if remote-http-launcher accepts it as a host (hostname or IP address)."""
    text = str(value)
    if _is_host(text):
        return text
    bad = sorted({c for c in text if not (c.isascii() and (c.isalnum() or c in ".-:"))})
    detail = f": {', '.join(repr(c) for c in bad)} may not appear in it" if bad else ""
    raise UnsafeValueError(
        f"not a hostname or IP address{detail}",
        key=what,
        value=value,
        hint="remote-http-launcher accepts only a hostname (letters, digits and '-' in "
        "dot-separated labels) or an IP address",
    )
