"""Test isolation for seamless_transformer: clean SEAMLESS_* variables, fresh registries."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_transformer_state(monkeypatch: pytest.MonkeyPatch):
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    from seamless_transformer.remote_backend import get_remote_backend_registry
    from seamless_transformer.transformation_cache import get_transformation_cache

    get_transformation_cache().reset()
    get_remote_backend_registry().reset()
    yield
    get_transformation_cache().reset()
    get_remote_backend_registry().reset()
