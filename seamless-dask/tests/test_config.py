"""The seamless-dask dask.config namespace: defaults and schema stay in sync."""

from seamless_dask import config


def _leaves(tree: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and "description" not in value:
            out |= _leaves(value, path)
        else:
            out.add(path)
    return out


def test_schema_is_complete() -> None:
    defaults = _leaves(config.load_defaults())
    schema = _leaves(config.load_schema())
    missing = defaults - schema
    extra = schema - defaults
    assert not missing, f"add these keys to seamless-dask-schema.yaml: {sorted(missing)}"
    assert not extra, f"add these keys to seamless-dask.yaml: {sorted(extra)}"


def test_schema_entries_have_type_and_description() -> None:
    def walk(tree: dict) -> None:
        for value in tree.values():
            if "description" in value:
                assert value["type"] in {"boolean", "duration", "integer", "number", "string"}
                assert value["description"].strip()
            else:
                walk(value)

    walk(config.load_schema())


def test_defaults_readable() -> None:
    assert config.get_seconds("future-cache.ttl") == 10.0
    assert config.get_seconds("throttle.retry-delay") == 0.05
    assert config.get_setting("throttle.transformation-throttle") == 3
