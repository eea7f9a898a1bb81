"""Make the canonical common/ modules importable by their file names (they are not a package)."""

import sys
from pathlib import Path

COMMON_DIR = Path(__file__).resolve().parent.parent
if str(COMMON_DIR) not in sys.path:
    sys.path.insert(0, str(COMMON_DIR))
