"""Transformers: ``direct`` (a call returns the value) and ``delayed`` (a call returns a
Transformation), with ``.args``, ``.celltypes``, ``.globals``, ``.modules``, ``.environment`` and
``.meta`` (``.local``, ``.scratch``, ...).

Call binding follows Seamless 1.x: the signature is bound (pre-bound ``.args`` first), defaults
are *not* applied (an argument that is not passed is not a pin), and every argument becomes a pin
serialized with its celltype (default "mixed"). A Transformation argument is a dependency; a
``Checksum`` argument is used as the pin checksum directly. A 64-character string is a string
(Seamless 1.x silently treated it as a checksum; pass a ``Checksum`` for that).
"""

from __future__ import annotations

import base64
import copy
import functools
import inspect
import json
from collections.abc import Iterator, Mapping
from types import FunctionType, ModuleType
from typing import Any

from seamless import Buffer, Checksum

from .celltypes import DEEP_CELLTYPES, DIRECTORY_CELLTYPES, normalize_celltype
from .code_text import function_source, normalize_code, signature_from_code
from .environment import Environment
from .guard import check_not_pure_dask
from .module_definition import globals_definition, module_definition
from .transformation import PinSource, Transformation
from .values import to_buffer, to_deep_buffers

_RESERVED_PINS = ("code", "main", "result")
_META_DEFAULTS: dict[str, Any] = {"local": False}


class _PinProxy:
    """Attribute and item access to one of a Transformer's pin dicts."""

    __slots__ = ("_transformer", "_kind")

    def __init__(self, transformer: Transformer, kind: str) -> None:
        object.__setattr__(self, "_transformer", transformer)
        object.__setattr__(self, "_kind", kind)

    def _dict(self) -> dict[str, Any]:
        return getattr(self._transformer, f"_{self._kind}")

    def __getattr__(self, name: str) -> Any:
        try:
            return self._dict()[name]
        except KeyError:
            raise AttributeError(f"{self._kind}: no entry {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._transformer._set_entry(self._kind, name, value)

    def __delattr__(self, name: str) -> None:
        try:
            del self._dict()[name]
        except KeyError:
            raise AttributeError(f"{self._kind}: no entry {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self._dict()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._transformer._set_entry(self._kind, name, value)

    def __delitem__(self, name: str) -> None:
        del self._dict()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._dict()))

    def __len__(self) -> int:
        return len(self._dict())

    def keys(self) -> list[str]:
        """The names."""
        return list(self._dict())

    def items(self) -> list[tuple[str, Any]]:
        """(name, value) pairs."""
        return list(self._dict().items())

    def __repr__(self) -> str:
        return f"{self._kind}({self._dict()!r})"


class Transformer:
    """A Python or bash transformer. Use ``direct`` or ``delayed`` to make one."""

    def __init__(
        self, func_or_code: Any, language: str | None = None, *, kind: str = "delayed"
    ) -> None:
        if kind not in ("direct", "delayed"):
            raise ValueError(f"kind must be 'direct' or 'delayed', not {kind!r}")
        self._kind = kind
        if isinstance(func_or_code, Transformer):
            func_or_code._copy_state_into(self)
            wrapped = func_or_code.__dict__.get("__wrapped__")
            if wrapped is not None:
                functools.update_wrapper(self, wrapped)
            return
        self._celltypes: dict[str, str] = {"result": "mixed"}
        self._args: dict[str, Any] = {}
        self._globals: dict[str, Any] = {}
        self._globals_code: str | None = None
        self._modules: dict[str, Any] = {}
        self._meta: dict[str, Any] = dict(_META_DEFAULTS)
        self._environment = Environment()
        if isinstance(func_or_code, FunctionType):
            if language not in (None, "python"):
                raise TypeError("A Python function transformer has language 'python'")
            self._code = function_source(func_or_code)
            self._language = "python"
            self._signature: inspect.Signature | None = _checked_signature(
                inspect.signature(func_or_code), func_or_code.__name__
            )
            for name in self._signature.parameters:
                self._celltypes[name] = "mixed"
            functools.update_wrapper(self, func_or_code)
        elif isinstance(func_or_code, str):
            self._code = func_or_code
            self._language = language or "python"
            self._signature = None
        elif callable(func_or_code):
            raise TypeError(
                f"direct/delayed need a Python function (def or lambda) or a code string, not "
                f"{type(func_or_code).__name__}"
            )
        else:
            raise TypeError(
                f"direct/delayed need a function or a code string, not {func_or_code!r}"
            )

    # ------------------------------------------------------------------ copies and specs
    def _copy_state_into(self, other: Transformer) -> None:
        other._code = self._code
        other._language = self._language
        other._signature = self._signature
        other._celltypes = dict(self._celltypes)
        other._args = {k: _copy_value(v) for k, v in self._args.items()}
        other._globals = dict(self._globals)
        other._globals_code = self._globals_code
        other._modules = dict(self._modules)
        other._meta = copy.deepcopy(self._meta)
        other._environment = self._environment.copy()

    def _spec(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for name, value in self._args.items():
            if isinstance(value, Checksum):
                args[name] = {"checksum": value.hex()}
                continue
            if isinstance(value, Transformation):
                raise TypeError(
                    f"Transformer in .globals: its pre-bound argument {name!r} is a "
                    "Transformation, which cannot be rendered"
                )
            celltype = self._celltypes.get(name, "mixed")
            buffer = to_buffer(value, celltype)
            args[name] = {"buffer": base64.b64encode(buffer.content).decode()}
        main = self._main_definition()
        return {
            "kind": self._kind,
            "code": self._code,
            "language": self._language,
            "signature": self._signature is not None,
            "celltypes": dict(self._celltypes),
            "args": args,
            "globals_code": None if main is None else main["code"],
            "modules": {k: module_definition(v) for k, v in self._modules.items()},
            "meta": self._meta,
            "environment": self._environment._to_lowlevel(),
        }

    def _spec_json(self) -> str:
        return json.dumps(self._spec(), sort_keys=True)

    # ------------------------------------------------------------------ attributes
    def _set_entry(self, kind: str, name: str, value: Any) -> None:
        if kind == "args":
            if name == "result":
                raise AttributeError("'result' is the output pin; it cannot be an argument")
            self._check_pin_name(name)
            if self._signature is None:
                self._celltypes.setdefault(name, "mixed")
            self._args[name] = value
        elif kind == "celltypes":
            if name != "result":
                self._check_pin_name(name)
            self._celltypes[name] = normalize_celltype(value, pin=name, result=name == "result")
        elif kind == "globals":
            self._globals[name] = value
            self._globals_code = None
        elif kind == "modules":
            if not isinstance(value, (ModuleType, Mapping)):
                raise TypeError(f".modules[{name!r}] must be a module or a module definition dict")
            self._modules[name] = value
        else:  # pragma: no cover
            raise AssertionError(kind)

    def _check_pin_name(self, name: str) -> None:
        if self._signature is not None and name not in self._signature.parameters:
            raise AttributeError(
                f"{name!r} is not a parameter of {self._code.split(chr(10))[0]!r}; "
                f"parameters: {', '.join(self._signature.parameters)}"
            )
        if name in _RESERVED_PINS[:2] or name.startswith("__"):
            raise AttributeError(f"{name!r} is reserved and cannot be a pin name")

    @property
    def args(self) -> _PinProxy:
        """Pre-bound arguments (attribute or item access)."""
        return _PinProxy(self, "args")

    @property
    def celltypes(self) -> _PinProxy:
        """Celltypes of the pins and of ``result`` (default "mixed")."""
        return _PinProxy(self, "celltypes")

    @property
    def globals(self) -> _PinProxy:
        """Names injected into the code's namespace (functions, classes, transformers, literals)."""
        return _PinProxy(self, "globals")

    @property
    def modules(self) -> _PinProxy:
        """Modules injected into the code's namespace (module objects or definition dicts)."""
        return _PinProxy(self, "modules")

    @property
    def environment(self) -> Environment:
        """The execution environment (conda, docker, which, powers)."""
        return self._environment

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the meta dict (not part of identity)."""
        return copy.deepcopy(self._meta)

    @meta.setter
    def meta(self, value: Mapping[str, Any]) -> None:
        for key, item in dict(value).items():
            if item is None and key != "local":
                self._meta.pop(key, None)
            else:
                self._meta[key] = copy.deepcopy(item)

    def _meta_flag(self, key: str) -> bool:
        return bool(self._meta.get(key))

    def _set_meta_flag(self, key: str, value: bool) -> None:
        self._meta[key] = bool(value)

    local = property(
        lambda self: self._meta_flag("local"),
        lambda self, v: self._set_meta_flag("local", v),
        doc="Always execute in this process, whatever the execution mode.",
    )
    scratch = property(
        lambda self: self._meta_flag("scratch"),
        lambda self, v: self._set_meta_flag("scratch", v),
        doc="Do not persist the result buffer (only its checksum).",
    )
    direct_print = property(
        lambda self: self._meta_flag("__direct_print__"),
        lambda self, v: self._set_meta_flag("__direct_print__", v),
        doc="Print the transformer's output directly.",
    )
    driver = property(
        lambda self: self._meta_flag("driver"),
        lambda self, v: self._set_meta_flag("driver", v),
        doc="Marks the transformer as a driver (it starts other transformations).",
    )
    allow_input_fingertip = property(
        lambda self: self._meta_flag("allow_input_fingertip"),
        lambda self, v: self._set_meta_flag("allow_input_fingertip", v),
        doc="Missing inputs may be recomputed.",
    )

    @property
    def timeout(self) -> float | None:
        """Seconds after which a transformation of this transformer is canceled and fails with
        "Transformation timed out after N s" (``meta["timeout"]``); None: the seamless-config
        default (``- timeout: N``), none by default."""
        return self._meta.get("timeout")

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        from .cancel import validate_timeout

        value = validate_timeout(value, where="Transformer.timeout")
        if value is None:
            self._meta.pop("timeout", None)
        else:
            self._meta["timeout"] = value

    @property
    def language(self) -> str:
        """The code language: python or bash."""
        return self._language

    @language.setter
    def language(self, value: str) -> None:
        if value != "python":
            self._signature = None
        self._language = value

    @property
    def code(self) -> str:
        """The code text."""
        return self._code

    # ------------------------------------------------------------------ calls
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        transformation = self._transformation(args, kwargs)
        if self._kind == "direct":
            return transformation.run()
        return transformation

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._signature is not None:
            bound = self._signature.bind_partial(*args, **kwargs)
            merged = dict(self._args)
            merged.update(bound.arguments)
            self._signature.bind(**merged)
            return merged
        if args:
            raise TypeError("A transformer made from a code string takes keyword arguments only")
        merged = dict(self._args)
        merged.update(kwargs)
        for name in self._celltypes:
            if name != "result" and name not in merged:
                raise TypeError(f"Missing argument: {name!r}")
        return merged

    def _transformation(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Transformation:
        check_not_pure_dask("create a transformation")
        values = self._bind(args, kwargs)
        buffers: list[Buffer] = []
        pins: dict[str, PinSource] = {}
        formats: dict[str, Any] = {}

        def add(pin: str, celltype: str, subcelltype: str | None, buffer: Buffer) -> None:
            buffers.append(buffer)
            pins[pin] = (celltype, subcelltype, buffer.get_checksum())

        for name in sorted(values):
            if name in _RESERVED_PINS or name in self._modules:
                raise TypeError(f"{name!r} cannot be an argument name (reserved or a module)")
            value = values[name]
            celltype = normalize_celltype(self._celltypes.get(name, "mixed"), pin=name)
            if isinstance(value, Transformation):
                pins[name] = (celltype, None, value)
            elif isinstance(value, Transformer):
                raise TypeError(
                    f"Argument {name!r} is a Transformer; call it to get a Transformation, or "
                    "put it in .globals"
                )
            elif celltype == "checksum":
                add(name, "plain", "checksum", to_buffer(value, "checksum"))
            elif isinstance(value, Checksum):
                pins[name] = (celltype, None, value)
            elif celltype in DEEP_CELLTYPES or celltype == "folder":
                index, leaves = to_deep_buffers(value, celltype)
                buffers.extend(leaves)
                add(name, celltype, None, index)
            else:
                try:
                    add(name, celltype, None, to_buffer(value, celltype))
                except Exception as exc:  # noqa: BLE001 (re-raised as a TypeError naming the argument)
                    raise TypeError(
                        f"Argument {name!r} ({type(value).__name__}) cannot be serialized as "
                        f"celltype {celltype!r}: {exc}"
                    ) from None
            if celltype in DIRECTORY_CELLTYPES:
                formats[name] = {"filesystem": {"mode": "directory"}, "celltype": celltype}
        add("code", *self._code_pin())
        main = self._main_definition()
        if main is not None:
            add("main", "plain", "module", to_buffer(main, "plain"))
        for name, module in sorted(self._modules.items()):
            add(name, "plain", "module", to_buffer(module_definition(module), "plain"))
        env_checksum = None
        env = self._environment._to_lowlevel()
        if env is not None:
            env_buffer = to_buffer(env, "plain")
            buffers.append(env_buffer)
            env_checksum = env_buffer.checksum
        result_celltype = normalize_celltype(self._celltypes["result"], pin="result", result=True)
        return Transformation(
            language=self._language,
            pins=pins,
            result_celltype=result_celltype,
            buffers=buffers,
            formats=formats,
            meta=self._meta,
            env_checksum=env_checksum,
        )

    def _code_pin(self) -> tuple[str, str, Buffer]:
        """The code pin (celltype, subcelltype, buffer), cached while code and language stay."""
        key = (self._code, self._language)
        cached = self.__dict__.get("_code_pin_cache")
        if cached is None or cached[0] != key:
            celltype = "python" if self._language == "python" else "text"
            buffer = Buffer(normalize_code(self._code), celltype)
            buffer.get_checksum()
            cached = (key, (celltype, "transformer", buffer))
            self.__dict__["_code_pin_cache"] = cached
        return cached[1]

    def _main_definition(self) -> dict[str, Any] | None:
        if self._globals_code is not None:
            return {"code": self._globals_code, "language": "python", "type": "interpreted"}
        if not self._globals:
            return None
        return globals_definition(self._globals)

    def __repr__(self) -> str:
        name = getattr(self, "__name__", None) or self._code.split("\n")[0][:40]
        return f"<{self._kind} transformer {name!r}>"


def _checked_signature(signature: inspect.Signature, name: str) -> inspect.Signature:
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"Transformer {name!r}: *args/**kwargs parameters are not supported; every "
                "input must be a named parameter (a pin)"
            )
        if param.name in _RESERVED_PINS:
            raise TypeError(f"Transformer {name!r}: a parameter cannot be called {param.name!r}")
    return signature


def _copy_value(value: Any) -> Any:
    if isinstance(value, (Transformation, Checksum, Buffer)):
        return value
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 (a value that cannot be deep-copied is kept as it is)
        return value


def transformer_from_spec(spec_json: str) -> Transformer:
    """Rebuild a Transformer rendered into ``.globals`` source text."""
    spec = json.loads(spec_json)
    transformer = Transformer(spec["code"], spec["language"], kind=spec["kind"])
    if spec["signature"]:
        transformer._signature = signature_from_code(spec["code"])
    transformer._celltypes = dict(spec["celltypes"])
    for name, entry in spec["args"].items():
        if "checksum" in entry:
            transformer._args[name] = Checksum(entry["checksum"])
        else:
            transformer._args[name] = Buffer(base64.b64decode(entry["buffer"]))
    transformer._globals_code = spec["globals_code"]
    transformer._modules = dict(spec["modules"])
    transformer._meta = dict(spec["meta"])
    transformer._environment = Environment._from_lowlevel(spec["environment"])
    return transformer


def direct(func_or_code: Any, language: str | None = None) -> Transformer:
    """A transformer whose call computes the transformation and returns its value."""
    return Transformer(func_or_code, language, kind="direct")


def delayed(func_or_code: Any, language: str | None = None) -> Transformer:
    """A transformer whose call returns a Transformation (compute it with .run(), .compute(),
    .start() or await .task())."""
    return Transformer(func_or_code, language, kind="delayed")
