"""Runs the code of a Python transformation dict (synchronously, in the calling thread).

The namespace is fresh: ``__name__ = "transformer"``, ``PINS``, ``OUTPUTPIN``, ``FILESYSTEM``,
every pin as a variable, the ``.globals`` (pin ``main``) and the ``.modules``. Closures of the
original function are not visible: that is what makes the code checksum a complete identity.
"""

from __future__ import annotations

import functools
import hashlib
import linecache
import traceback
import types
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from seamless import Buffer, Checksum

from seamless_config.registries import register_static

from .code_text import CodeMode, code_mode
from .errors import TransformationError
from .module_definition import build_module, installed_package
from .transformation_dict import is_dunder
from .values import pin_value


def _register_source(code: str, label: str) -> str:
    """A pseudo file name for ``code`` (by content, so the linecache entries stay bounded by the
    number of distinct code texts), registered so that tracebacks show the source lines."""
    digest = hashlib.sha256(code.encode()).hexdigest()[:16]
    filename = f"<seamless {label} {digest}>"
    if filename not in linecache.cache:
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    return filename


@functools.lru_cache(maxsize=512)
def _compiled(code: str, filename: str, mode: str) -> types.CodeType:
    """``compile(code, filename, mode)``, cached: code objects are immutable, and executing
    the same transformer code many times should not re-parse it every time."""
    return compile(code, filename, mode)


@functools.lru_cache(maxsize=512)
def _code_mode(code: str) -> CodeMode:
    return code_mode(code)


# Pure memoization: a reset would only cost a re-parse, never change a result.
register_static(
    "seamless_transformer.python_executor._compiled", _compiled, reason="pure memo of compile()"
)
register_static(
    "seamless_transformer.python_executor._code_mode", _code_mode, reason="pure memo of code_mode()"
)


def format_user_exception(exc: BaseException) -> str:
    """The exception text, with the traceback pruned to frames of transformer code."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<seamless"):
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc))
    return "".join(traceback.format_exception(type(exc), exc, tb))


def run_python(
    tf_dict: Mapping[str, Any],
    pin_buffers: Mapping[str, Buffer],
    leaf_buffers: Mapping[Checksum, Buffer],
) -> Any:
    """Execute a Python transformation and return the result value (None is a valid result)."""
    code = pin_buffers["code"].get_value("text") + "\n"
    result_celltype = tf_dict["__output__"][1]
    namespace: dict[str, Any] = {"__name__": "transformer"}
    pins: dict[str, Any] = {}
    modules: dict[str, Any] = {}
    for pin, triple in tf_dict.items():
        if is_dunder(pin) or pin == "code":
            continue
        if triple[1] == "module":
            modules[pin] = pin_buffers[pin].get_value("plain")
            continue
        pins[pin] = pin_value(triple, pin_buffers[pin], leaf_buffers)
    filesystem = {
        pin: fmt.get("filesystem") for pin, fmt in (tf_dict.get("__format__") or {}).items()
    }
    namespace.update(PINS=dict(pins), OUTPUTPIN=result_celltype, FILESYSTEM=filesystem)
    try:
        with ExitStack() as stack:
            main = modules.pop("main", None)
            if main is not None:
                filename = _register_source(main["code"], "globals")
                exec(_compiled(main["code"], filename, "exec"), namespace)
            for name, definition in sorted(modules.items()):
                if isinstance(definition.get("code"), str):
                    namespace[name] = build_module(name, definition)
                else:
                    namespace[name] = stack.enter_context(installed_package(name, definition))
            namespace.update(pins)
            return _run_code(code, namespace, pins)
    except TransformationError:
        raise
    except BaseException as exc:  # noqa: BLE001 (user code may raise anything, SystemExit included: re-raised as TransformationError)
        raise TransformationError(format_user_exception(exc)) from None


def _run_code(code: str, namespace: dict[str, Any], pins: Mapping[str, Any]) -> Any:
    mode = _code_mode(code)
    filename = _register_source(code, "transformer")
    kwargs = {k: pins[k] for k in sorted(pins) if not k.endswith("_SCHEMA")}
    if mode.kind == "function":
        assert mode.function_name is not None  # code_mode() names the function it found
        exec(_compiled(code, filename, "exec"), namespace)
        return namespace[mode.function_name](**kwargs)
    if mode.kind == "lambda":
        func = eval(_compiled(code, filename, "eval"), namespace)
        return func(**kwargs)
    if mode.kind == "expression":
        return eval(_compiled(code, filename, "eval"), namespace)
    exec(_compiled(code, filename, "exec"), namespace)
    if "result" not in namespace:
        raise TransformationError(
            "The transformer code is a block (not a single def, lambda or expression), "
            "so it must assign a variable named 'result'; it did not"
        )
    return namespace["result"]
