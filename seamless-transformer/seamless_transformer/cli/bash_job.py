"""The bash transformation that ``seamless-run`` builds from a command line (Seamless 1.x rules).

Arguments of the primary command are typed:

- R1: an argument with an extension must be an existing file (numbers like 0.1 are values);
- R2: an argument without an extension, beyond the first, must not be an existing file
  (an existing directory is a directory input);
- R3: an argument ending in "/" must be a directory.

A file ``X`` may be replaced by its sidecar ``X.CHECKSUM`` (then X need not exist locally).
File inputs are ``["bytes", null, checksum]`` pins with ``__format__`` ``{"filesystem":
{"mode": "file", "optional": true}}``; directories are ``["mixed", null, index checksum]`` with
``{"filesystem": {"mode": "directory", "optional": true}, "celltype": "deepfolder"}``. The code
is ``"(\\n<command>\\n) > RESULT\\n"`` (stdout is the result, celltype bytes).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from seamless import Buffer, Checksum

from ..transformation import PinSource, Transformation
from .sidecars import CHECKSUM_SUFFIX, directory_files, index_buffer, read_checksum

_OPERATOR_CHARS = set("|&;<>()")


class ArgTypingError(ValueError):
    """An argument of the command breaks an argtyping rule (message says which and how to fix)."""


@dataclass
class BashJob:
    """Pins, formats and buffers of a seamless-run command."""

    command: str
    pins: dict[str, PinSource] = field(default_factory=dict)
    formats: dict[str, dict] = field(default_factory=dict)
    buffers: list[Buffer] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The bash code: stdout of the command becomes RESULT."""
        return f"(\n{self.command}\n) > RESULT\n"

    def transformation(self, *, meta: dict | None = None) -> Transformation:
        """The Transformation of this job."""
        code_buffer = Buffer(self.code.encode())
        pins = dict(self.pins)
        pins["code"] = ("text", None, code_buffer.get_checksum())
        return Transformation(
            language="bash",
            pins=pins,
            result_celltype="bytes",
            buffers=[*self.buffers, code_buffer],
            formats=self.formats,
            meta=meta,
        )


def _segments(command: str) -> list[list[str]]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    segments: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= _OPERATOR_CHARS:
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _file_checksum(path: str) -> tuple[Checksum, Buffer | None]:
    sidecar_checksum = read_checksum(path)
    if os.path.isfile(path):
        with open(path, "rb") as f:
            buffer = Buffer(f.read())
        checksum = buffer.get_checksum()
        if sidecar_checksum is not None and sidecar_checksum != checksum:
            raise ArgTypingError(
                f"{path}: its content does not match {path}{CHECKSUM_SUFFIX}; update or remove "
                "the sidecar"
            )
        return checksum, buffer
    if sidecar_checksum is None:
        raise ArgTypingError(f"{path}: no such file, and no {path}{CHECKSUM_SUFFIX} sidecar")
    return sidecar_checksum, None


def build_bash_job(
    command: str,
    *,
    inputs: list[str] | None = None,
    primary: int = 1,
    rule1: bool = True,
    rule2: bool = True,
) -> BashJob:
    """Type the arguments of ``command`` and build its pins (files and directories)."""
    job = BashJob(command)
    segments = _segments(command)
    candidates: list[tuple[str, bool]] = []
    if segments:
        if not 1 <= primary <= len(segments):
            raise ArgTypingError(f"--primary {primary}: the command has {len(segments)} part(s)")
        words = segments[primary - 1]
        for position, word in enumerate(words[1:], start=1):
            if word.startswith("-"):
                continue
            candidates.append((word, position == 1))
    for path in inputs or []:
        if not (os.path.exists(path) or os.path.exists(path + ".CHECKSUM")):
            raise ArgTypingError(f"--input {path}: no such file or directory")
        candidates.append((path, True))
    for word, first in candidates:
        _type_argument(job, word, first=first, rule1=rule1, rule2=rule2)
    return job


def _type_argument(job: BashJob, word: str, *, first: bool, rule1: bool, rule2: bool) -> None:
    if word.endswith("/"):
        if not os.path.isdir(word):
            raise ArgTypingError(f"R3: {word!r} ends with '/' but is not a directory")
        _add_directory(job, word.rstrip("/"))
        return
    if word.endswith((".CHECKSUM", ".INDEX")):
        if os.path.isfile(word):
            _add_file(job, word)
        return
    has_sidecar = os.path.isfile(word + ".CHECKSUM")
    if os.path.isdir(word):
        _add_directory(job, word)
        return
    extension = os.path.splitext(os.path.basename(word))[1]
    if extension and not _is_number(word):
        if os.path.isfile(word) or has_sidecar:
            _add_file(job, word)
        elif rule1:
            raise ArgTypingError(
                f"R1: argument {word!r} has an extension, so it must be an existing file "
                "(or have a .CHECKSUM sidecar); quote it differently or pass -g1 to disable R1"
            )
        return
    if os.path.isfile(word) or has_sidecar:
        if first or not rule2:
            _add_file(job, word)
        else:
            raise ArgTypingError(
                f"R2: argument {word!r} has no extension but is an existing file; only the "
                "first argument may be such a file (use -i to add it, or -g2 to disable R2)"
            )


def _check_pin_name(path: str) -> str:
    name = os.path.normpath(path)
    if os.path.isabs(name) or name.startswith(".."):
        raise ArgTypingError(
            f"{path!r}: inputs must be relative paths inside the working directory"
        )
    return path


def _add_file(job: BashJob, path: str) -> None:
    name = _check_pin_name(path)
    if name in job.pins:
        return
    checksum, buffer = _file_checksum(path)
    if buffer is not None:
        job.buffers.append(buffer)
    job.pins[name] = ("bytes", None, checksum)
    job.formats[name] = {"filesystem": {"mode": "file", "optional": True}}


def _add_directory(job: BashJob, path: str) -> None:
    name = _check_pin_name(path)
    if name in job.pins:
        return
    index: dict[str, Checksum] = {}
    for relative, full in directory_files(path):
        checksum, buffer = _file_checksum(full)
        if buffer is not None:
            job.buffers.append(buffer)
        index[relative] = checksum
    index_buf = index_buffer(index)
    job.buffers.append(index_buf)
    job.pins[name] = ("mixed", None, index_buf.get_checksum())
    job.formats[name] = {
        "filesystem": {"mode": "directory", "optional": True},
        "celltype": "deepfolder",
    }
