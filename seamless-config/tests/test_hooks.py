"""The hook registry: explicit registrations, entry points, and the error when none exists."""

from __future__ import annotations

import types

import pytest

from seamless_config import hooks
from seamless_config.errors import MissingDependencyError


def test_register_find_unregister() -> None:
    provider = types.SimpleNamespace(activate=lambda: None)
    assert hooks.get_loaded_hook("buffer") is None
    hooks.register_hook("buffer", provider)
    assert hooks.find_hook("buffer") is provider
    assert hooks.get_loaded_hook("buffer") is provider
    assert hooks.get_hook("buffer", purpose="a test") is provider
    hooks.unregister_hook("buffer")
    assert hooks.get_loaded_hook("buffer") is None


def test_missing_hook_names_package_and_group() -> None:
    hooks.get_hook_registry().reset(entry_points=False)
    with pytest.raises(MissingDependencyError) as info:
        hooks.get_hook("spawn", purpose="execution 'spawn'")
    message = str(info.value)
    assert "execution 'spawn' needs the package seamless-transformer" in message
    assert hooks.ENTRY_POINT_GROUP in message
    assert info.value.package == "seamless-transformer"
    assert isinstance(info.value, ImportError)


def test_every_hook_has_a_package() -> None:
    assert set(hooks.HOOK_PACKAGES) == {
        "buffer",
        "database",
        "daskserver",
        "jobserver",
        "spawn",
        "connect_dask",
    }
    assert hooks.__all__ == sorted(hooks.__all__)
