"""Benchmark: loading a large seamless.yaml (issue 14 item 4).

Writes a ~2.6 MB seamless.yaml (12,500 stage blocks and a `clusters:` command with 50 clusters
of 250 queues) into a temporary directory and times, in the same run, PyYAML's pure-Python
SafeLoader (what the configuration used, twice per file) against ``load_config_files()``.
Run with the config tox environment's Python: ``.tox/config/bin/python tools/bench/config_load.py``.
"""

from __future__ import annotations

import os
import tempfile
import time

import yaml


def write_big_config(directory: str, blocks: int = 12500) -> str:
    lines = ["- project: big", "- execution: process", "- persistent: false"]
    for i in range(blocks):
        lines += [f"- stage s{i}:", f"    - cluster: c{i % 50}", f"    - subproject: sub{i}"]
        lines += ["    - execution: remote"]
    lines.append("- clusters:")
    for c in range(50):
        lines += [f"    c{c}:", "      type: local", "      frontends:"]
        lines.append(
            f"        - hashserver: {{bufferdir: /tmp/b{c}, port_start: 1000, port_end: 2000}}"
        )
        lines.append(
            f"          database: {{database_dir: /tmp/d{c}, port_start: 1000, port_end: 2000}}"
        )
        lines.append("      queues:")
        for q in range(blocks // 50):
            lines.append(
                f"        q{q}: {{walltime: '01:00:00', memory: 8GB, unknown_task_duration: 1m,"
                " target_duration: 10m, maximum_jobs: 4, cores: 2}"
            )
    path = os.path.join(directory, "seamless.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HOME"] = tmp
        path = write_big_config(tmp)
        size = os.path.getsize(path) / 1e6
        import seamless_config
        from seamless_config import config_files, yaml_files

        seamless_config.set_workdir(tmp)
        start = time.perf_counter()
        with open(path, encoding="utf-8") as handle:
            yaml.load(handle, Loader=yaml.SafeLoader)
        python_once = time.perf_counter() - start
        start = time.perf_counter()
        config_files.load_config_files()
        ours = time.perf_counter() - start
        print(f"seamless.yaml: {size:.1f} MB; libyaml available: {yaml_files.LIBYAML}")
        print(f"pure-Python SafeLoader, one parse: {python_once:.2f} s (the old load parsed twice)")
        print(f"load_config_files() now (parse + checks + apply): {ours:.2f} s")
        print(f"ratio old-estimate/new: {2 * python_once / ours:.1f}x")


if __name__ == "__main__":
    main()
