"""The two fingerprints of an invoked task. Pure functions: no I/O, nothing else builds them.

*Plan fingerprint*: known before anything runs. SHA-256 of the "plain" serialization of::

    {"kind": "seamless-task-plan",                  # names what is hashed: never a tf dict
     "code": <code checksum, as Seamless checksums transformer code>,
     "options": {option: [type name, value checksum ("mixed", as delayed serializes args)]},
     "deps": {parameter: plan fingerprint of the dependency},
     "product": <type name, or "Stream[<item type>]">,
     "itemwise": <parameter consumed item by item, or null>}

Deliberately left out: the task's name (renaming a task keeps its products), predicates (they
check values, they do not change them), option docs, ``transient`` (where a product lives does
not change what it is) and execution settings.

*Execution fingerprint*: the Seamless transformation checksum of the task's code, its option
values and its dependencies' product checksums, exactly as ``delayed(func)(**args)`` builds it
(Python code pin, "mixed" pins, "mixed" result; ``__meta__``/``__env__``/``__deps__`` are not
part of identity). It decides reuse, so an upstream re-run with an identical product leaves its
dependents cached (early cut-off).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from types import FunctionType
from typing import Any

from seamless import Buffer, Checksum

from seamless_config.registries import register_static

from ..code_text import function_source, normalize_code
from ..transformation_dict import plain_bytes, transformation_checksum
from ..values import to_buffer

PLAN_KIND = "seamless-task-plan"
#: The subcelltype of a stream producer's output: its result is the list of item checksums.
STREAM_SUBCELLTYPE = "stream"
#: The subcelltype of a pin that holds a transient dependency's plan fingerprint (see docs).
TRANSIENT_SUBCELLTYPE = "task-plan"


@functools.lru_cache(maxsize=4096)
def code_of(func: FunctionType) -> tuple[str, Checksum]:
    """The code text of ``func`` as Seamless stores it, and its checksum (the code pin)."""
    text = normalize_code(function_source(func))
    buffer = Buffer(text, "python")
    return text, buffer.get_checksum()


# Pure memo of a function of the function object (its code does not change): nothing to reset.
register_static(
    "seamless_transformer.tasks.fingerprints.code_of",
    code_of,
    reason="pure memo, keyed by the function object",
)


def value_buffer(value: Any) -> Buffer:
    """An option value serialized as ``delayed`` serializes an argument ("mixed")."""
    return to_buffer(value, "mixed")


def plan_fingerprint(
    *,
    code: Checksum,
    options: Mapping[str, tuple[str, Checksum]],
    deps: Mapping[str, Checksum],
    product: str,
    itemwise: str | None = None,
) -> Checksum:
    """The plan fingerprint (see the module docstring for what is in it)."""
    plan = {
        "kind": PLAN_KIND,
        "code": code.hex(),
        "options": {name: [t, c.hex()] for name, (t, c) in options.items()},
        "deps": {param: fp.hex() for param, fp in deps.items()},
        "product": product,
        "itemwise": itemwise,
    }
    return Checksum(hashlib.sha256(plain_bytes(plan)).digest())


def execution_dict(
    *,
    code: Checksum,
    inputs: Mapping[str, Checksum],
    transient_inputs: Mapping[str, Checksum] | None = None,
    stream: bool = False,
) -> dict[str, Any]:
    """The transformation dict of a task: what ``delayed(func)(**inputs)`` would build.

    ``transient_inputs`` (parameter -> plan fingerprint of a transient dependency) become pins
    ``["mixed", "task-plan", <plan fingerprint>]``; ``stream`` marks a stream producer, whose
    result is the "plain" list of its item checksums.
    """
    tf_dict: dict[str, Any] = {
        "__language__": "python",
        "__output__": ["result", "plain", STREAM_SUBCELLTYPE]
        if stream
        else ["result", "mixed", None],
        "code": ["python", "transformer", code.hex()],
    }
    for name, checksum in inputs.items():
        tf_dict[name] = ["mixed", None, checksum.hex()]
    for name, plan in (transient_inputs or {}).items():
        tf_dict[name] = ["mixed", TRANSIENT_SUBCELLTYPE, plan.hex()]
    return tf_dict


def execution_fingerprint(
    *,
    code: Checksum,
    inputs: Mapping[str, Checksum],
    transient_inputs: Mapping[str, Checksum] | None = None,
    stream: bool = False,
) -> Checksum:
    """The execution fingerprint: the transformation checksum of :func:`execution_dict`."""
    return transformation_checksum(
        execution_dict(code=code, inputs=inputs, transient_inputs=transient_inputs, stream=stream)
    )
