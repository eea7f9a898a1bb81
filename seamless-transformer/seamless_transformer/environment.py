"""``Environment``: where a transformer runs (conda, docker, which binaries, powers).

Its low-level dict goes into the ``__env__`` dunder as a checksum; it is not part of the
transformation identity (the same computation in another environment has the same result).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

import yaml


class Environment:
    """The execution environment of a transformer."""

    def __init__(self) -> None:
        self._conda: dict[str, Any] | None = None
        self._conda_env: str | None = None
        self._which: list[str] | None = None
        self._powers: dict[str, Any] | None = None
        self._docker: dict[str, Any] | None = None

    def set_conda(self, conda: str | Mapping[str, Any] | None) -> None:
        """A conda environment definition: a mapping, YAML text, or a YAML file name."""
        if conda is None:
            self._conda = None
            return
        if isinstance(conda, str):
            if "\n" not in conda and os.path.exists(conda):
                with open(conda, encoding="utf-8") as f:
                    conda = f.read()
            conda = yaml.safe_load(conda)
        if not isinstance(conda, Mapping) or "dependencies" not in conda:
            raise ValueError("A conda environment must be a mapping with a 'dependencies' key")
        self._conda = copy.deepcopy(dict(conda))

    def get_conda(self) -> dict[str, Any] | None:
        """A copy of the conda environment definition."""
        return copy.deepcopy(self._conda)

    def set_conda_env(self, name: str | None) -> None:
        """The name of an existing conda environment to run in."""
        self._conda_env = name

    def get_conda_env(self) -> str | None:
        """The conda environment name."""
        return self._conda_env

    def set_which(self, binaries: list[str] | None) -> None:
        """Binaries that must be on PATH."""
        self._which = None if binaries is None else [str(b) for b in binaries]

    def get_which(self) -> list[str] | None:
        """A copy of the required binaries."""
        return None if self._which is None else list(self._which)

    def set_powers(self, powers: Mapping[str, Any] | None) -> None:
        """Special powers (e.g. GPU) the transformer needs."""
        self._powers = None if powers is None else copy.deepcopy(dict(powers))

    def get_powers(self) -> dict[str, Any] | None:
        """A copy of the powers."""
        return copy.deepcopy(self._powers)

    def set_docker(self, docker: Mapping[str, Any] | None) -> None:
        """A docker image: {"name": ...}."""
        if docker is not None and "name" not in docker:
            raise ValueError("A docker definition needs a 'name' key")
        self._docker = None if docker is None else copy.deepcopy(dict(docker))

    def get_docker(self) -> dict[str, Any] | None:
        """A copy of the docker definition."""
        return copy.deepcopy(self._docker)

    def _to_lowlevel(self) -> dict[str, Any] | None:
        result: dict[str, Any] = {}
        if self._which is not None:
            result["which"] = list(self._which)
        if self._conda is not None:
            result["conda"] = copy.deepcopy(self._conda)
        if self._conda_env is not None:
            result["conda_environment"] = self._conda_env
        if self._powers is not None:
            result["powers"] = copy.deepcopy(self._powers)
        if self._docker is not None:
            result["docker"] = copy.deepcopy(self._docker)
        return result or None

    @classmethod
    def _from_lowlevel(cls, lowlevel: Mapping[str, Any] | None) -> Environment:
        env = cls()
        if lowlevel:
            env._which = lowlevel.get("which")
            env._conda = lowlevel.get("conda")
            env._conda_env = lowlevel.get("conda_environment")
            env._powers = lowlevel.get("powers")
            env._docker = lowlevel.get("docker")
        return env

    def copy(self) -> Environment:
        """A deep copy."""
        return Environment._from_lowlevel(copy.deepcopy(self._to_lowlevel()))
