"""Turn the raw benchmark records (results.json) into a Markdown table and a PNG bar chart.

``python report.py RESULTS_JSON`` re-renders results.md; ``--chart OUT.png`` draws the chart
(needs matplotlib; compare.py runs this with a Python that has it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

STACKS = {
    "seamless1": "Seamless 1.x",
    "ours": "ours",
    "oursbase": "ours before",
    "ourshttp": "ours, HTTP only",
    "dask": "raw Dask",
    "httpfloor": "HTTP floor",
    "localfloor": "local floor",
    "lookupfloor": "lookups alone",
}
MAIN = ("seamless1", "ours", "dask")  # the columns of the RSS and task cells


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def by_cell(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        cells.setdefault((record["workload"], record["stack"]), []).append(record)
    return cells


def median_wall(records: list[dict[str, Any]]) -> float | None:
    walls = [r["wall_s"] for r in records if r["status"] == "ok"]
    return statistics.median(walls) if walls else None


def time_cell(records: list[dict[str, Any]], unavailable: str | None) -> str:
    """Median (min-max), with failed repeats counted, or why there is no number."""
    if unavailable:
        return f"not available: {unavailable}"
    if not records:
        return "–"
    walls = [r["wall_s"] for r in records if r["status"] == "ok"]
    failed = [r for r in records if r["status"] != "ok"]
    if not walls:
        first = failed[0]
        if first["status"] == "unavailable":
            return f"not available: {first['error']}"
        if first["status"] == "timeout":
            return f"**timeout** ({first['error']}, {len(failed)}/{len(records)} repeats)"
        return f"**{first['status']}**: {first.get('error', '')[:80]}"
    text = f"{statistics.median(walls):.2f} s"
    if len(walls) > 1:
        text += f" ({min(walls):.2f}–{max(walls):.2f})"
    if failed:
        text += f", {failed[0]['status']} in {len(failed)}/{len(records)}"
    return text


def ratio(ours: list[dict[str, Any]], other: list[dict[str, Any]]) -> str:
    """Median ours / median other; "< x" when every run of the other stack timed out."""
    a, b = median_wall(ours), median_wall(other)
    if a is not None and b:
        return f"{a / b:.2f}"
    limits = [r["timeout_s"] for r in other if r["status"] == "timeout"]
    if a is not None and other and len(limits) == len(other):
        return f"< {a / min(limits):.2f} (timeout)"
    return "–"


def same_results(cells: dict, workload: str) -> str:
    """Do Seamless 1.x and ours give the same transformation and result checksums (and values)?"""
    ok = {
        stack: {r["repeat"]: r for r in cells.get((workload, stack), []) if r["status"] == "ok"}
        for stack in STACKS
        if stack != "lookupfloor"  # no values
    }
    pairs = [(ok["seamless1"][k], ok["ours"][k]) for k in ok["seamless1"] if k in ok["ours"]]
    verdicts = []
    if pairs:
        same = all(a.get("result_digest") == b.get("result_digest") for a, b in pairs)
        same_tf = all(a.get("tf_digest") == b.get("tf_digest") for a, b in pairs)
        verdicts.append(("same" if same_tf else "**DIFFERENT**") + " tf checksums")
        verdicts.append(("same" if same else "**DIFFERENT**") + " result checksums")
    # Values are compared within a repeat: the salt (and so the numpy input) changes per repeat.
    per_repeat: dict[int, list[str]] = {}
    for stack in ok:
        for repeat, record in ok[stack].items():
            per_repeat.setdefault(repeat, []).append(record["values_digest"])
    if any(len(set(digests)) > 1 for digests in per_repeat.values()):
        verdicts.append("**values differ**")
    elif any(len(digests) > 1 for digests in per_repeat.values()):
        verdicts.append("same values")
    return ", ".join(verdicts) or "–"


def tasks_cell(cells: dict, workload: str) -> str:
    parts = []
    for stack in MAIN:
        ok = [r for r in cells.get((workload, stack), []) if r["status"] == "ok"]
        if ok:
            parts.append(str(sum(ok[0].get("dask_tasks", {}).values())))
        else:
            parts.append("–")
    return " / ".join(parts)


def rss_cell(cells: dict, workload: str) -> str:
    parts = []
    for stack in MAIN:
        ok = [r["peak_rss_mb"] for r in cells.get((workload, stack), []) if r["status"] == "ok"]
        parts.append(f"{max(ok):.0f}" if ok else "–")
    return " / ".join(parts)


def table(data: dict[str, Any]) -> str:
    """The Markdown report: main table, cross-implementation table, notes."""
    meta, records = data["meta"], data["records"]
    unavailable = {r["stack"]: r["error"] for r in records if r["workload"] == "*"}
    cells = by_cell([r for r in records if r["workload"] != "*"])
    shown = [s for s in STACKS if s != "lookupfloor" and any(r["stack"] == s for r in records)]
    header = [
        "workload",
        *(f"{STACKS[s]} wall" for s in shown),
        "ours / 1.x",
        *(["ours / before"] if "oursbase" in shown else []),
        "ours / Dask",
        "ours / floor (local, HTTP)",
        "peak RSS MB (1.x / ours / Dask)",
        "Dask tasks (1.x / ours / Dask)",
        "checksums",
    ]
    lines = [
        f"Median wall time over {meta['repeats']} repeat(s) (min–max), {meta['cores']} Seamless "
        f"workers on a LocalCluster, {meta['cpu_count']} CPUs; client process peak RSS. Floors: "
        "raw Dask tasks that also make the storage requests of a persisted transformation, over "
        "HTTP (HTTP floor) or with buffers through the local fast path (local floor); for cached "
        "rows, the database lookups alone, concurrent from one process.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for workload in meta["workloads"]:
        if workload.startswith("5. scale"):
            continue
        runs = {s: cells.get((workload, s), []) for s in STACKS}
        row = [workload]
        for stack in shown:
            if stack == "localfloor" and runs["lookupfloor"]:
                row.append(time_cell(runs["lookupfloor"], None) + " (lookups)")
            else:
                row.append(time_cell(runs[stack], unavailable.get(stack)))
        floors = [ratio(runs["ours"], runs[f]) for f in ("localfloor", "httpfloor") if runs[f]]
        if runs["lookupfloor"]:
            floors = [ratio(runs["ours"], runs["lookupfloor"]) + " (lookups)"]
        row += [
            ratio(runs["ours"], runs["seamless1"]),
            *([ratio(runs["ours"], runs["oursbase"])] if "oursbase" in shown else []),
            ratio(runs["ours"], runs["dask"]),
            ", ".join(floors) or "–",
        ]
        row += [
            rss_cell(cells, workload),
            tasks_cell(cells, workload),
            same_results(cells, workload),
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += scale_table(meta, cells)
    setups = []
    for stack in STACKS:
        values = [r["setup_s"] for r in records if r.get("stack") == stack and "setup_s" in r]
        if values:
            setups.append(f"{STACKS[stack]} {statistics.median(values):.1f} s")
    if setups:
        lines += ["", "Client setup per process (imports, connect, one warm-up task; not in the "
                  "wall times above), median: " + ", ".join(setups) + "."]  # fmt: skip
    versions = {}
    for record in records:
        if record.get("versions") and record["stack"] not in versions:
            versions[record["stack"]] = record["versions"]
    for stack, v in versions.items():
        lines.append(f"- {STACKS[stack]}: " + ", ".join(f"{k} {v[k]}" for k in sorted(v)))
    lines += cross_table(data.get("cross", []))
    baseline = f" (ours before: {meta['baseline']})" if meta.get("baseline") else ""
    lines.append(
        f"\nTotal benchmark time: {meta['elapsed_s'] / 60:.1f} min; monorepo at "
        f"{meta.get('commit', '?')}{baseline}."
    )
    return "\n".join(lines) + "\n"


def scale_table(meta: dict[str, Any], cells: dict) -> list[str]:
    """Rows "5. scale N=...": time per transformation, ours against raw Dask (and against ours
    before, with --baseline), and client RSS."""
    rows = [w for w in meta["workloads"] if w.startswith("5. scale")]
    if not rows:
        return []
    before = any(cells.get((w, "oursbase")) for w in rows)
    extra = " ours before ms / transformation | ours / before |" if before else ""
    lines = [
        "",
        "Scaling (independent, cold; ours with the local fast path):",
        "",
        "| N | ours wall | ours ms / transformation | raw Dask wall | raw Dask ms / task | "
        f"ours / Dask | ours client peak RSS MB |{extra}",
        "|---|---|---|---|---|---|---|" + ("---|---|" if before else ""),
    ]
    for workload in rows:
        n = int(workload.rsplit("=", 1)[1])
        ours, dask = cells.get((workload, "ours"), []), cells.get((workload, "dask"), [])
        base = cells.get((workload, "oursbase"), [])
        per = []
        for runs in (ours, dask, base):
            wall = median_wall(runs)
            per.append("–" if wall is None else f"{1000 * wall / n:.2f}")
        rss = [r["peak_rss_mb"] for r in ours if r["status"] == "ok"]
        line = (
            f"| {n} | {time_cell(ours, None)} | {per[0]} | {time_cell(dask, None)} | {per[1]} | "
            f"{ratio(ours, dask)} | {f'{max(rss):.0f}' if rss else '–'} |"
        )
        if before:
            line += f" {per[2]} | {ratio(ours, base)} |"
        lines.append(line)
    return lines


def cross_table(cross: list[dict[str, Any]]) -> list[str]:
    if not cross:
        return ["", "Cross-implementation cache reuse: not run (needs both Seamless stacks)."]
    lines = [
        "",
        "Cross-implementation cache reuse (shared hashserver + database, separate clusters):",
        "",
        "| computed by | then | database hits for its tf checksums | re-run wall | Dask tasks in re-run | same result checksums |",
        "|---|---|---|---|---|---|",
    ]
    for direction in dict.fromkeys(r["cross"] for r in cross):
        first, second = direction.split("->")
        rows = [r for r in cross if r["cross"] == direction]
        computed = next((r for r in rows if r["role"] == first), {})
        probe = next((r for r in rows if r["role"] == "probe"), {})
        rerun = next((r for r in rows if r["role"] == second), {})
        hits = (f"{probe['database_hits']}/{probe['size']}" if probe.get("status") == "ok"
                else probe.get("status", "–"))  # fmt: skip
        if computed.get("status") != "ok":
            hits = f"first run {computed.get('status')}: {computed.get('error', '')[:60]}"
        wall = (
            f"{rerun['wall_s']:.2f} s" if rerun.get("status") == "ok" else rerun.get("status", "–")
        )
        tasks = (
            str(sum(rerun.get("dask_tasks", {}).values())) if rerun.get("status") == "ok" else "–"
        )
        same = "–"
        if computed.get("status") == "ok" and rerun.get("status") == "ok":
            same = "yes" if computed["result_digest"] == rerun["result_digest"] else "**no**"
        lines.append(f"| {STACKS[first]} | {STACKS[second]} | {hits} | {wall} | {tasks} | {same} |")
    return lines


def chart(data: dict[str, Any], out: Path) -> None:
    """Grouped bars (log scale): median per stack, min–max whiskers, timeouts hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = data["meta"]
    cells = by_cell([r for r in data["records"] if r["workload"] != "*"])
    workloads = meta["workloads"]
    fig, ax = plt.subplots(figsize=(13, 5.5))
    present = {r["stack"] for r in data["records"]}
    stacks = [(s, label) for s, label in STACKS.items() if s in present]
    width = 0.8 / max(1, len(stacks))
    for offset, (stack, label) in enumerate(stacks):
        for x, workload in enumerate(workloads):
            records = cells.get((workload, stack), [])
            walls = [r["wall_s"] for r in records if r["status"] == "ok"]
            pos = x + (offset - (len(stacks) - 1) / 2) * width
            color = f"C{offset}"
            if walls:
                med = statistics.median(walls)
                ax.bar(pos, med, width, color=color, label=label if x == 0 else None)
                ax.errorbar(
                    pos, med, yerr=[[med - min(walls)], [max(walls) - med]], color="k", capsize=2
                )
            elif records:
                limit = max((r.get("timeout_s", 1.0) for r in records), default=1.0)
                ax.bar(pos, limit, width, color="none", edgecolor=color, hatch="//")
                ax.text(
                    pos,
                    limit,
                    records[0]["status"],
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 4)  # room for the "timeout" labels
    ax.set_ylabel("wall time (s), log scale")
    ax.set_xticks(range(len(workloads)), [w.replace(", ", "\n") for w in workloads], fontsize=8)
    ax.set_title(
        f"Seamless 1.x vs ours vs raw Dask and the floors (median of {meta['repeats']}, "
        "hatched = no result)"
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def write_report(raw: Path, outdir: Path, *, chart_pythons: list[Path]) -> str:
    """Write results.md and results.png next to ``raw``; return the Markdown."""
    data = load(raw)
    text = table(data)
    (outdir / "results.md").write_text(text)
    png = outdir / "results.png"
    for python in [Path(sys.executable), *chart_pythons]:
        done = subprocess.run(
            [str(python), __file__, str(raw), "--chart", str(png)], capture_output=True, text=True
        )
        if done.returncode == 0:
            break
    else:
        text += "\n(no chart: matplotlib is not installed in any of the environments)\n"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_json", type=Path)
    parser.add_argument("--chart", type=Path, help="draw the PNG chart here instead of the table")
    options = parser.parse_args()
    data = load(options.results_json)
    if options.chart:
        chart(data, options.chart)
    else:
        print(table(data))


if __name__ == "__main__":
    main()
