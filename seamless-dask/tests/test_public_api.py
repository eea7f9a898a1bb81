"""The public API is exactly __all__, sorted, and every name imports."""

import subprocess
import sys

import seamless_dask


def test_all_sorted_and_importable() -> None:
    assert seamless_dask.__all__ == sorted(seamless_dask.__all__)
    for name in seamless_dask.__all__:
        assert getattr(seamless_dask, name) is not None


def test_import_is_lazy() -> None:
    code = (
        "import sys, seamless_dask, seamless_dask.wrapper;"
        "bad = [m for m in ('seamless', 'seamless_transformer', 'seamless_remote', 'distributed') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
