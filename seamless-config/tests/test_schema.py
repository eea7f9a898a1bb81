"""Declared configuration (STYLE 13): every YAML key has a default and a description, in sync with the code."""

from __future__ import annotations

import dataclasses

import pytest

from seamless_config import cluster, schema
from seamless_config.commands import _ARGUMENT_TYPES

TABLES = [
    (schema.CLUSTER, cluster.Cluster, {"name"}),
    (schema.FRONTEND, cluster.Frontend, set()),
    (schema.HASHSERVER, cluster.HashserverConfig, set()),
    (schema.DATABASE, cluster.DatabaseConfig, set()),
    (schema.JOBSERVER, cluster.JobserverConfig, set()),
    (schema.DASKSERVER, cluster.DaskserverConfig, set()),
    (schema.QUEUE, cluster.Queue, {"TEMPLATE"}),
]


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return None  # containers: schema default None means "none given"
    return schema.REQUIRED


@pytest.mark.parametrize(("table", "cls", "extra"), TABLES, ids=[t[1].__name__ for t in TABLES])
def test_schema_matches_dataclass(table, cls, extra) -> None:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    keys = set(table) - extra
    assert keys == set(fields) - extra, (
        f"{cls.__name__}: add the missing keys to seamless_config/schema.py or the dataclass: "
        f"{sorted(keys ^ (set(fields) - extra))}"
    )
    for name in keys:
        expected = table[name].default
        actual = _default(fields[name])
        if name == "hostname":
            continue  # required, except for local clusters where it defaults to localhost
        assert actual == expected or (actual is None and expected is None), (cls.__name__, name)


@pytest.mark.parametrize(
    "table",
    [
        schema.COMMANDS,
        schema.CLUSTER_FILE,
        schema.CLUSTER,
        schema.FRONTEND,
        schema.HASHSERVER,
        schema.DATABASE,
        schema.JOBSERVER,
        schema.DASKSERVER,
        schema.QUEUE,
    ],
)
def test_every_key_is_described(table) -> None:
    for name, key in table.items():
        assert key.description.strip() and key.types.strip(), name


def test_commands_table_matches_parser() -> None:
    assert set(schema.COMMANDS) == set(_ARGUMENT_TYPES)


def test_command_defaults_match_selection() -> None:
    from seamless_config import select

    state = select.SelectionState()
    for name in select.TRACKED:
        if name == "execution":
            assert (
                schema.COMMANDS[name].default is None
            )  # derived: remote with a cluster, else process
            continue
        assert state.values[name] == schema.COMMANDS[name].default, name
