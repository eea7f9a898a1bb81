"""What seamless_config selected, as the executors read it: a value that cannot be used is an
error naming it, never a silent fallback (to in-process execution, to "no database")."""

from __future__ import annotations

import logging
import multiprocessing

import pytest

import seamless_config
from seamless_config import select
from seamless_config.errors import ConfigurationError
from seamless_transformer import delayed, persistence, selection
from seamless_transformer.executors.choice import choose_executor


@delayed
def double(a):
    return 2 * a


def test_an_unknown_execution_mode_is_an_error_not_in_process_execution() -> None:
    # the selection validates what it is given; a state that still holds an unknown mode (a
    # value written around the validation) used to run the work in this process silently
    select.get_selection_registry().state.values["execution"] = "gpu"
    with pytest.raises(ConfigurationError, match=r"execution: execution mode 'gpu' is not one of"):
        selection.get_execution()
    with pytest.raises(ConfigurationError, match="'gpu'"):
        choose_executor(double(1))


def test_known_modes_are_returned_as_selected() -> None:
    assert selection.get_execution() == "process"
    select.select_execution("spawn")
    assert selection.get_execution() == "spawn"
    assert selection.execution_was_set_explicitly()


def test_nparallel_default_only_when_not_set() -> None:
    assert selection.get_nparallel(default=4) == 4
    with pytest.raises(ConfigurationError, match="nparallel is not set") as info:
        selection.get_nparallel()
    assert "set_nparallel" in str(info.value)  # says how to set it
    seamless_config.set_nparallel(3)
    assert selection.get_nparallel(default=4) == 3
    assert selection.get_nparallel() == 3


def test_an_error_of_seamless_remote_is_not_read_as_no_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pure logic: persistence used to turn any error of these calls into False."""
    from seamless_remote import database_remote

    def broken() -> bool:
        raise RuntimeError("database registry is broken")

    monkeypatch.setattr(database_remote, "has_write_server", broken)
    with pytest.raises(RuntimeError, match="database registry is broken"):
        persistence.is_persistent()


def test_spawn_outside_the_main_process_logs_a_warning(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from seamless_transformer.worker_pool import has_spawned, spawn

    monkeypatch.setattr(multiprocessing.current_process(), "name", "Worker-1")
    with caplog.at_level(logging.WARNING, logger="seamless_transformer.worker_pool"):
        spawn(2)
    assert not has_spawned()
    [record] = [r for r in caplog.records if r.name == "seamless_transformer.worker_pool"]
    assert record.levelno == logging.WARNING
    assert "outside the main process (Worker-1)" in record.getMessage()
    assert capsys.readouterr() == ("", "")
