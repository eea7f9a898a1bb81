"""The public names of seamless_jobserver, and the import direction."""

from __future__ import annotations

import subprocess
import sys

import seamless_jobserver


def test_all_is_sorted_and_importable():
    assert seamless_jobserver.__all__ == sorted(seamless_jobserver.__all__)
    for name in seamless_jobserver.__all__:
        assert hasattr(seamless_jobserver, name)


def test_lower_layers_do_not_import_the_jobserver():
    code = (
        "import sys, seamless_config, seamless_remote, seamless_transformer\n"
        "from seamless_remote import jobserver_remote\n"
        "assert 'seamless_jobserver' not in sys.modules, 'imported upward'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
