"""Runs the code of a bash transformation dict in a fresh temporary directory.

Each pin becomes a file named after the pin (a directory tree for directory pins); a pin with no
"." in its name and a short value is also exported as an environment variable (``$lines``).
The script runs under ``/bin/bash`` with ``set -u -e`` in its own session, with the temporary
directory as working directory (no ``chdir`` of this process, so bash transformations need no
process-wide lock). The result is the file ``RESULT``, or the directory ``RESULT`` as a dict.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

from seamless import Buffer, Checksum

from .errors import BashTransformationError, TransformationError
from .transformation_dict import is_dunder
from .values import from_buffer

_PRELUDE = "set -u -e\ntrap 'jobs -p | xargs -r kill' EXIT\n"
_MAX_ENV_VALUE = 1000


def _safe_path(root: str, pin: str) -> str:
    if os.path.isabs(pin) or ".." in pin.split("/"):
        raise TransformationError(f"Bash pin name {pin!r} must be a relative path without '..'")
    return os.path.join(root, pin)


def _value_bytes(pin: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bool, int, float)):
        return str(value).encode()
    import numpy as np  # a dependency of seamless-core; imported only for bash pins

    if isinstance(value, np.ndarray):
        if value.dtype == np.uint8 and value.ndim == 1:
            return value.tobytes()
        stream = io.BytesIO()
        np.save(stream, value, allow_pickle=False)
        return stream.getvalue()
    try:
        return json.dumps(value, indent=2, sort_keys=True).encode() + b"\n"
    except TypeError:
        raise TypeError(
            f"Bash pin {pin!r}: a {type(value).__name__} value cannot be written to a file"
        ) from None


def _write_pins(
    root: str,
    tf_dict: Mapping[str, Any],
    pin_buffers: Mapping[str, Buffer],
    leaf_buffers: Mapping[Checksum, Buffer],
) -> dict[str, str]:
    env: dict[str, str] = {}
    formats = tf_dict.get("__format__") or {}
    for pin, triple in tf_dict.items():
        if is_dunder(pin) or pin == "code":
            continue
        path = _safe_path(root, pin)
        buffer = pin_buffers[pin]
        fmt = formats.get(pin) or {}
        if (fmt.get("filesystem") or {}).get("mode") == "directory":
            index = buffer.get_value("plain")
            os.makedirs(path, exist_ok=True)
            for relpath, checksum in index.items():
                target = _safe_path(path, relpath)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(leaf_buffers[Checksum(checksum)].content)
            continue
        if os.path.dirname(pin):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        celltype = triple[0]
        if celltype == "bytes":
            content = buffer.content
        else:
            content = _value_bytes(pin, from_buffer(buffer, celltype))
        with open(path, "wb") as f:
            f.write(content)
        if "." not in pin and "/" not in pin and len(content) <= _MAX_ENV_VALUE:
            try:
                text = content.decode()
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                env[pin] = text.rstrip("\n")
    return env


def _read_result_file(path: str, celltype: str) -> Any:
    with open(path, "rb") as f:
        content = f.read()
    if celltype in ("bytes", "folder", "deepfolder"):
        return content
    if content.startswith(b"\x93NUMPY"):
        import numpy as np

        return np.load(io.BytesIO(content), allow_pickle=False)
    try:
        text = content.decode()
    except UnicodeDecodeError:
        import numpy as np

        return np.frombuffer(content, dtype=np.uint8)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_result(root: str, celltype: str) -> Any:
    path = os.path.join(root, "RESULT")
    if os.path.isfile(path):
        return _read_result_file(path, celltype)
    if os.path.isdir(path):
        result: dict[str, Any] = {}
        for dirpath, _, filenames in os.walk(path):
            for filename in sorted(filenames):
                full = os.path.join(dirpath, filename)
                result[os.path.relpath(full, path)] = _read_result_file(full, celltype)
        if not result:
            raise TransformationError("Bash transformer: the RESULT directory is empty")
        return result
    raise TransformationError(
        "Bash transformer: the code did not create RESULT (write the output to a file or "
        "directory named RESULT)"
    )


def _run_script(
    script: str, root: str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """Run ``script`` under bash in its own session; when this is interrupted (the spawn worker
    is terminated: SIGTERM raises SystemExit), kill the whole session's process group, so that
    the commands bash started in the background end too."""
    with subprocess.Popen(
        ["/bin/bash", script],
        cwd=root,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            _kill_session(process)
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group that bash leads (its id is bash's pid: bash started a new
    session, and the group id stays taken while any member lives)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_bash(
    tf_dict: Mapping[str, Any],
    pin_buffers: Mapping[str, Buffer],
    leaf_buffers: Mapping[Checksum, Buffer],
) -> Any:
    """Execute a bash transformation; the result value (bytes or a dict for a directory)."""
    code = pin_buffers["code"].content.decode()
    celltype = tf_dict["__output__"][1]
    meta = tf_dict.get("__meta__") or {}
    with tempfile.TemporaryDirectory(prefix="seamless-bash-transformer") as root:
        env = dict(os.environ)
        env.update(_write_pins(root, tf_dict, pin_buffers, leaf_buffers))
        script = os.path.join(root, ".seamless-transform.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(_PRELUDE + code)
        process = _run_script(script, root, env)
        stdout = process.stdout.decode(errors="replace")
        if meta.get("__direct_print__"):
            sys.stdout.write(stdout)
        if process.returncode != 0:
            stderr = process.stderr.decode(errors="replace").strip()
            raise BashTransformationError(
                code=code, returncode=process.returncode, detail=stderr[-3000:]
            )
        return _read_result(root, celltype)
