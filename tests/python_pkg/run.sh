#!/usr/bin/env bash
# Builds the lintseq wheel with maturin, installs it into a fresh virtual environment
# with the suite's dependencies, and runs tests/python_pkg/ there, from a directory
# outside the repository so that nothing but the wheel provides `lintseq`.
#
#   bash tests/python_pkg/run.sh [pytest args...]
#
# LINTSEQ_PY_VENV: where the environment goes (default /tmp/lintseq-pypkg-venv; it
# is recreated). CARGO_TARGET_DIR is honoured.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${LINTSEQ_PY_VENV:-/tmp/lintseq-pypkg-venv}"
python="${PYTHON:-python3}"

rm -rf "$venv"
"$python" -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check --quiet "$@"; }
pip install "maturin>=1.7,<2"

wheels="$(mktemp -d)"
started=$(date +%s)
(cd "$repo" && "$venv/bin/maturin" build --release --quiet --interpreter "$venv/bin/python" --out "$wheels")
echo "tests/python_pkg: wheel built in $(( $(date +%s) - started )) s: $(ls "$wheels")"

pip install "$wheels"/lintseq-*.whl pytest pandas polars "ray[data]"
rm -rf "$wheels"

cd "$(mktemp -d)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/tests/python_pkg" "$@"
