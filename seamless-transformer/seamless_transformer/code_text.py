"""Python source of transformer code: extraction from functions, and the code mode.

Extraction follows Seamless 1.x so that code checksums match: ``inspect.getsource``, then
``textwrap.dedent``, then the leading lines that start with "@" (decorators) are dropped. The
text becomes a "python" buffer, i.e. exactly one trailing newline.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from types import FunctionType


def function_source(func: FunctionType) -> str:
    """The source text of ``func`` as Seamless stores it (dedented, decorators dropped)."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as exc:
        raise TypeError(
            f"Cannot get the source code of {func!r}: {exc}. Transformers need functions "
            "defined in a file or an interactive cell; pass the code as a string instead."
        ) from None
    source = textwrap.dedent(source)
    if func.__name__ == "<lambda>":
        return _lambda_source(source, func)
    lines = source.splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    return "".join(lines)


def _lambda_source(source: str, func: FunctionType) -> str:
    candidates = [source, source.strip()]
    stripped = source.strip()
    # A lambda passed as an argument is often on a line that does not parse alone.
    while stripped and stripped[-1] in ",)":
        stripped = stripped[:-1]
        candidates.append(stripped)
    for text in candidates:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lambdas = [node for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
        if len(lambdas) == 1:
            segment = ast.get_source_segment(text, lambdas[0])
            if segment is not None:
                return segment + "\n"
    raise TypeError(
        f"Cannot extract the lambda {func!r}: only a single lambda on a single line is "
        "supported; use a def instead."
    )


def normalize_code(code: str) -> str:
    """The "python" celltype form of a code text: exactly one trailing newline."""
    return code.rstrip("\n") + "\n"


@dataclass(frozen=True)
class CodeMode:
    """How a code text is executed: ``kind`` is function, lambda, expression or block."""

    kind: str
    function_name: str | None = None


def code_mode(code: str) -> CodeMode:
    """Find how ``code`` is run: one def is called; a lambda is called; an expression is
    evaluated; anything else is a block that must assign ``result`` itself."""
    tree = ast.parse(code)
    body = tree.body
    if len(body) == 1:
        node = body[0]
        if isinstance(node, ast.FunctionDef):
            return CodeMode("function", node.name)
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Lambda):
                return CodeMode("lambda")
            if node.lineno != node.end_lineno:
                raise SyntaxError("Multi-line expressions are not supported as transformer code")
            return CodeMode("expression")
    return CodeMode("block")


def signature_from_code(code: str) -> inspect.Signature | None:
    """The call signature of a single-def or lambda code text (defaults are not evaluated)."""
    tree = ast.parse(code)
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    if isinstance(node, ast.FunctionDef):
        args = node.args
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Lambda):
        args = node.value.args
    else:
        return None
    params: list[inspect.Parameter] = []
    positional = list(args.posonlyargs) + list(args.args)
    n_nodefault = len(positional) - len(args.defaults)
    for i, arg in enumerate(positional):
        kind = (
            inspect.Parameter.POSITIONAL_ONLY
            if i < len(args.posonlyargs)
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        default = inspect.Parameter.empty if i < n_nodefault else _NOT_EVALUATED
        params.append(inspect.Parameter(arg.arg, kind, default=default))
    if args.vararg is not None:
        params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    for arg, default_node in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        default = inspect.Parameter.empty if default_node is None else _NOT_EVALUATED
        params.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY, default=default))
    if args.kwarg is not None:
        params.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


class _NotEvaluated:
    def __repr__(self) -> str:
        return "<default>"


_NOT_EVALUATED = _NotEvaluated()
