"""The harness self-check finds process-wide state without a declared reset; the autouse reset
really resets what is declared (checked in a separate pytest run on a throwaway package)."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from seamless_testing.registry_check import find_undeclared_state

pytest_plugins = ["pytester"]

STATE_MODULE = """
import functools

class ThingRegistry:
    def __init__(self):
        self.things = []

    def reset(self):
        self.things.clear()

_thing_registry = ThingRegistry()
_pending = {}                 # a mutable module-level container
_result_cache = None          # named *_cache, whatever it holds
LIMITS = {"cores": 4}         # an UPPER_CASE constant: not state
_DEFAULTS = ["a"]             # also a constant

@functools.lru_cache(maxsize=8)
def _memo(x):
    return x
"""


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway importable package with a ``state`` module; its name is unique per test."""
    name = f"fakepkg_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "state.py").write_text(STATE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_the_real_packages_declare_every_registry() -> None:
    assert find_undeclared_state(["seamless_config"]) == []


def test_undeclared_state_is_reported(fake_package: str) -> None:
    found = {(p.module, p.name): p.why for p in find_undeclared_state([fake_package])}
    module = f"{fake_package}.state"
    assert found == {
        (module, "_thing_registry"): "named *_registry",
        (module, "_pending"): "a mutable container that is not an UPPER_CASE constant",
        (module, "_result_cache"): "named *_cache",
        (module, "_memo"): "a memoizing function (functools.cache / lru_cache)",
    }
    message = str(find_undeclared_state([fake_package])[0])
    assert "register_registry" in message and "seamless_config.registries" in message


def test_declared_objects_are_not_reported(fake_package: str) -> None:
    import importlib

    state = importlib.import_module(f"{fake_package}.state")
    declared = {id(state._thing_registry), id(state._pending), id(state._memo)}
    found = find_undeclared_state([fake_package], declared=declared)
    assert [p.name for p in found] == ["_result_cache"]


def test_an_unimportable_module_is_an_error(fake_package: str, tmp_path: Path) -> None:
    (tmp_path / fake_package / "broken.py").write_text("import not_a_module_anywhere_xyz\n")
    with pytest.raises(ImportError, match=rf"{fake_package}\.broken"):
        find_undeclared_state([fake_package])


def _project(pytester: pytest.Pytester, state_module: str) -> None:
    pytester.makeini(
        """
        [pytest]
        seamless_registry_packages = counterpkg
        """
    )
    package = pytester.mkpydir("counterpkg")
    (package / "state.py").write_text(textwrap.dedent(state_module))
    pytester.makepyfile(
        test_counter="""
        from counterpkg.state import counter_registry

        def test_first():
            counter_registry.count += 1
            assert counter_registry.count == 1

        def test_second_sees_a_fresh_registry():
            counter_registry.count += 1
            assert counter_registry.count == 1
        """
    )


COUNTER = """
class CounterRegistry:
    def __init__(self):
        self.count = 0

    def reset(self):
        self.count = 0

counter_registry = CounterRegistry()
"""


def test_a_registry_without_reset_fails_the_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, COUNTER)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-v")
    # the registry is never reset, so the second test sees the first one's count, and the
    # self-check names the undeclared registry
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*seamless-registry-check FAILED*"])
    result.stdout.fnmatch_lines(["*counterpkg.state.counter_registry (CounterRegistry*"])


def test_a_declared_registry_is_reset_around_every_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = COUNTER.replace(
        "counter_registry = CounterRegistry()",
        "from seamless_config.registries import register_registry\n"
        'counter_registry = register_registry("counterpkg.state", CounterRegistry())',
    )
    _project(pytester, declared)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*seamless-registry-check PASSED*"])


def test_keyword_selection_can_deselect_the_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, COUNTER)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-k", "first")
    result.assert_outcomes(passed=1, deselected=2)
