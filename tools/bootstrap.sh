# Sourced by the other tools/*.sh scripts: makes sure `uv` is available as $UV.
# Only python3 with venv is needed on the machine; everything else is installed here.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOOT="$REPO/.venv-tools"
if [ ! -x "$BOOT/bin/uv" ]; then
    python3 -m venv "$BOOT"
    "$BOOT/bin/python" -m pip install --quiet --disable-pip-version-check uv "tox>=4.20" "tox-uv>=1.11"
fi
UV="$BOOT/bin/uv"
export UV
