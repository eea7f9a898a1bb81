"""The command language: entries of seamless.yaml / seamless.profile.yaml, checked and applied.

An entry is a bare command name or a mapping with exactly one key. A key ``stage NAME``
holds a list of entries used only when the current stage is NAME (blocks may nest).
Every error names the file, the entry and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import schema
from .cluster import ClusterSet
from .errors import ConfigFileError, ConfigurationError
from .names import NAME_RULE, name_problem
from .selection_state import SelectionState, apply_selection, validate_nparallel, validate_timeout

__all__ = ["Entry", "apply_entry", "expand_entries", "inherits_from_parent"]

EXAMPLE = "a YAML list such as:\n- project: myproject\n- execution: process"

_ARGUMENT_TYPES: dict[str, tuple[tuple[type, ...], bool]] = {
    # command: (accepted types, None accepted)
    "cluster": ((str,), True),
    "project": ((str,), False),
    "subproject": ((str,), False),
    "execution": ((str,), False),
    "queue": ((str,), False),
    "remote": ((str,), True),
    "persistent": ((bool,), False),
    "record": ((bool,), False),
    "node": ((str,), True),
    "nparallel": ((int,), False),
    "timeout": ((int, float), True),
    "clusters": ((dict,), False),
    "inherit_from_parent": ((), True),
}


@dataclass(frozen=True)
class Entry:
    """One command with where it came from (``path``, and ``index`` such as '3' or '2/stage prod/1')."""

    path: str
    index: str
    name: str
    argument: Any

    @property
    def origin(self) -> str:
        return f"{self.path} entry {self.index}"


def _entry_error(
    path: str, index: str, message: str, item: Any, hint: str | None = None
) -> ConfigFileError:
    return ConfigFileError(message, path=path, key=f"entry {index}", value=item, hint=hint)


def _split(path: str, index: str, item: Any) -> tuple[str, Any]:
    if isinstance(item, str):
        return item, None
    if isinstance(item, dict) and len(item) == 1:
        ((name, argument),) = item.items()
        if isinstance(name, str):
            return name, argument
    raise _entry_error(
        path,
        index,
        "an entry must be a command name or a mapping with exactly one key",
        item,
        hint="Write one command per list item, e.g. `- project: myproject`",
    )


def _stage_name(name: str) -> str | None:
    """The stage of a ``stage NAME`` key, '' for a bare 'stage', None for other keys."""
    if not name.startswith("stage"):
        return None
    return name[len("stage") :].strip()


def expand_entries(path: str, items: Any, *, stage: str | None, prefix: str = "") -> list[Entry]:
    """Check the syntax of a file's entries and keep those of stage blocks matching ``stage``."""
    if not isinstance(items, list):
        raise ConfigFileError(f"the file must contain {EXAMPLE}", path=path, value=items)
    result: list[Entry] = []
    for i, item in enumerate(items, start=1):
        index = f"{prefix}{i}"
        name, argument = _split(path, index, item)
        stage_name = _stage_name(name)
        if stage_name is not None and name not in schema.COMMANDS:
            if not stage_name:
                raise _entry_error(
                    path,
                    index,
                    "a stage block needs a name",
                    item,
                    hint="Write `- stage NAME:` followed by a list of commands",
                )
            problem = name_problem("stage", stage_name)
            if problem is not None:
                raise _entry_error(path, index, f"stage block: {problem}", item, hint=NAME_RULE)
            if not isinstance(argument, list):
                raise _entry_error(
                    path, index, f"stage block '{stage_name}' must hold a list of commands", item
                )
            nested = expand_entries(
                path, argument, stage=stage, prefix=f"{index}/stage {stage_name}/"
            )
            if stage_name == stage:
                result.extend(nested)
            continue
        if name not in schema.COMMANDS:
            raise _entry_error(
                path,
                index,
                f"unknown command '{name}'",
                item,
                hint=f"Known commands: {', '.join(sorted(schema.COMMANDS))}, and `stage NAME` blocks",
            )
        _check_argument(path, index, name, argument, item)
        result.append(Entry(path, index, name, argument))
    return result


def _check_argument(path: str, index: str, name: str, argument: Any, item: Any) -> None:
    types, nullable = _ARGUMENT_TYPES[name]
    if argument is None:
        if nullable:
            return
    elif isinstance(argument, types) and not (bool not in types and isinstance(argument, bool)):
        return
    raise _entry_error(
        path,
        index,
        f"command '{name}' expects {schema.COMMANDS[name].types}",
        item,
    )


def inherits_from_parent(path: str, items: Any) -> bool:
    """Whether a file's top level contains ``inherit_from_parent``."""
    if not isinstance(items, list):
        return False
    return any(
        item == "inherit_from_parent"
        or (isinstance(item, dict) and list(item) == ["inherit_from_parent"])
        for item in items
    )


def apply_entry(state: SelectionState, entry: Entry, clusters: ClusterSet) -> None:
    """Run one command against a (staged) selection; ``clusters`` is the staged cluster set."""
    if entry.name in ("clusters", "inherit_from_parent"):
        return
    try:
        if entry.name == "nparallel":
            state.nparallel = validate_nparallel(entry.argument)
        elif entry.name == "timeout":
            state.timeout = validate_timeout(entry.argument)
        else:
            apply_selection(
                state,
                entry.name,
                entry.argument,
                source="command",
                origin=entry.origin,
                clusters=clusters,
            )
    except ConfigFileError:
        raise
    except ConfigurationError as exc:
        raise ConfigFileError(
            exc.message,
            path=entry.path,
            key=f"entry {entry.index} ({entry.name})",
            value=entry.argument,
            hint=exc.hint,
        ) from exc
