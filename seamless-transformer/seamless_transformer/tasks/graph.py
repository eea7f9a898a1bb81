"""The task graph: closures, topological order, and DOT / Mermaid export. Pure functions.

The graph is a mapping task name -> names of its dependencies (``TaskEnv.dependency_map()``).
Mutation happens on a copy of the env (``TaskEnv.copy()`` then ``substitute`` / ``redefine`` /
``replace_subgraph``); plan fingerprints then change exactly downstream of what changed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Fill colours of node states in the exports.
STATE_COLOURS = {
    "cached": "#c8e6c9",
    "outdated": "#ffe0b2",
    "waiting": "#eeeeee",
    "running": "#bbdefb",
    "done": "#a5d6a7",
    "failed": "#ffcdd2",
}


def _reverse(deps: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {name: [] for name in deps}
    for name, upstream in deps.items():
        for dep in upstream:
            users.setdefault(dep, []).append(name)
    return users


def _closure(starts: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [d for start in starts for d in edges.get(start, ())]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(edges.get(name, ()))
    return seen


def upstream(deps: Mapping[str, Sequence[str]], name: str) -> set[str]:
    """Every task that ``name`` needs, directly or not (not ``name`` itself)."""
    return _closure([name], deps)


def upstream_of_all(deps: Mapping[str, Sequence[str]], names: Iterable[str]) -> set[str]:
    """Every task that one of ``names`` needs, directly or not."""
    return _closure(names, deps)


def downstream(deps: Mapping[str, Sequence[str]], name: str) -> set[str]:
    """Every task that needs ``name``, directly or not (not ``name`` itself)."""
    return _closure([name], _reverse(deps))


def topological(deps: Mapping[str, Sequence[str]], names: Iterable[str] | None = None) -> list[str]:
    """``names`` (default: all) with each task after its dependencies; ties keep the order of
    ``deps``. Dependencies outside ``names`` are ignored."""
    if names is None:
        order = list(deps)
    else:
        wanted = set(names)
        order = [n for n in deps if n in wanted]
    chosen = set(order)
    remaining = {n: sum(1 for d in set(deps[n]) if d in chosen) for n in order}
    users = _reverse({n: [d for d in set(deps[n]) if d in chosen] for n in order})
    position = {n: i for i, n in enumerate(order)}
    ready = [n for n in order if remaining[n] == 0]
    result: list[str] = []
    heap = [(position[n], n) for n in ready]
    heapq.heapify(heap)
    while heap:
        _, name = heapq.heappop(heap)
        result.append(name)
        for user in users.get(name, ()):
            remaining[user] -= 1
            if remaining[user] == 0:
                heapq.heappush(heap, (position[user], user))
    if len(result) != len(order):  # pragma: no cover - definitions cannot build a cycle
        raise ValueError("the task graph has a cycle")
    return result


@dataclass(frozen=True)
class GraphNode:
    """What an export draws for one task."""

    name: str
    product: str
    deps: Mapping[str, str]
    state: str | None = None
    detail: str | None = None


def to_dot(nodes: Sequence[GraphNode]) -> str:
    """Graphviz DOT text: one box per task (name, product type, state), one edge per dependency
    (labelled with the parameter when it differs from the dependency's name)."""
    lines = ["digraph tasks {", "  rankdir=LR;", "  node [shape=box];"]
    for node in nodes:
        label = f"{node.name}\\n: {node.product}"
        if node.state is not None:
            label += f"\\n{node.state}" + (f" {node.detail}" if node.detail else "")
        attrs = f'label="{label}"'
        if node.state is not None:
            attrs += f', style=filled, fillcolor="{STATE_COLOURS.get(node.state, "#ffffff")}"'
        lines.append(f'  "{node.name}" [{attrs}];')
    for node in nodes:
        for param, dep in node.deps.items():
            extra = "" if param == dep else f' [label="{param}"]'
            lines.append(f'  "{dep}" -> "{node.name}"{extra};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(nodes: Sequence[GraphNode]) -> str:
    """Mermaid flowchart text, with the same content as :func:`to_dot`."""
    lines = ["flowchart LR"]
    states: list[str] = []
    for node in nodes:
        label = f"{node.name} : {node.product}"
        suffix = ""
        if node.state is not None:
            label += f"<br/>{node.state}" + (f" {node.detail}" if node.detail else "")
            suffix = f":::{node.state}"
            if node.state not in states:
                states.append(node.state)
        lines.append(f'  {node.name}["{label}"]{suffix}')
    for node in nodes:
        for param, dep in node.deps.items():
            arrow = "-->" if param == dep else f"-- {param} -->"
            lines.append(f"  {dep} {arrow} {node.name}")
    for state in states:
        lines.append(f"  classDef {state} fill:{STATE_COLOURS.get(state, '#ffffff')}")
    return "\n".join(lines) + "\n"
