"""Run inside a clean container (test_containers_packages.py): import one package, list what
the import loaded, and ask each console script for --help. Prints one ``RESULT {json}`` line.

Usage: python hygiene_probe.py MODULE [SCRIPT ...]
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path

module, scripts = sys.argv[1], sys.argv[2:]
importlib.import_module(module)
loaded = sorted({name.split(".")[0] for name in sys.modules})
helps = {}
for script in scripts:
    exe = Path(sys.executable).parent / script
    if not exe.exists():
        helps[script] = {"exists": False}
        continue
    shown = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    helps[script] = {
        "exists": True,
        "code": shown.returncode,
        "usage": "usage" in shown.stdout.lower(),
        "stderr": shown.stderr[-1500:],
    }
print("RESULT " + json.dumps({"loaded": loaded, "scripts": helps}), flush=True)
