"""The public API: sorted __all__, and the names seamless-core's shim forces."""

from __future__ import annotations

import importlib

import pytest

import seamless_transformer

SHIM_NAMES = [
    "direct",
    "delayed",
    "Transformation",
    "parallel",
    "parallel_async",
    "TransformationList",
    "spawn",
    "has_spawned",
    "global_lock",
]


def test_all_is_sorted_and_exact():
    public = sorted(name for name in seamless_transformer.__all__)
    assert seamless_transformer.__all__ == public
    assert set(SHIM_NAMES) | {"Environment", "TransformationError", "Transformer"} == set(public)
    for name in public:
        assert hasattr(seamless_transformer, name)


def test_seamless_transformer_shim():
    shim = importlib.import_module("seamless.transformer")
    from seamless.transformer import delayed, direct  # noqa: F401

    assert shim.direct is seamless_transformer.direct
    assert sorted(shim.__all__) == sorted(SHIM_NAMES)
    namespace: dict = {}
    exec("from seamless.transformer import *", namespace)
    assert all(name in namespace for name in SHIM_NAMES)


def test_seamless_1x_names():
    """Names that Seamless 1.x code imports."""
    from seamless.transformer import Environment

    from seamless_transformer import worker

    assert Environment is seamless_transformer.Environment
    assert callable(worker.spawn) and callable(worker.shutdown_workers)
    assert worker.has_spawned() is False


@pytest.mark.parametrize(
    "module",
    ["errors", "executors", "transformation_dict"],
)
def test_submodule_all_sorted(module):
    mod = importlib.import_module(f"seamless_transformer.{module}")
    assert mod.__all__ == sorted(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name)


def test_fingertip_hooks_exist():
    from seamless_transformer.transformation_cache import (
        get_transformation_cache,
        recompute_from_transformation_checksum,
    )

    assert callable(get_transformation_cache().get_reverse_transformations)
    assert callable(recompute_from_transformation_checksum)


def test_spawn_hook_entry_point():
    """seamless_config spawns workers through the ``spawn`` hook (entry point)."""
    from seamless_config.hooks import find_hook, get_hook_registry

    get_hook_registry().reset()
    from seamless_transformer import worker

    assert find_hook("spawn") is worker
