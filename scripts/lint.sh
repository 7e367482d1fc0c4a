#!/usr/bin/env bash
# ruff over the repository, then mypy --strict on scanner/ and owasp_probes/ under their installed names
# (secscan, secscan_probes): mypy cannot follow setuptools' editable-install import hook, so it reads them through
# links in build/mypy-src.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
src=build/mypy-src
mkdir -p "$src"
ln -sfn "$PWD/scanner" "$src/secscan"
ln -sfn "$PWD/owasp_probes" "$src/secscan_probes"
(cd "$src" && MYPYPATH=. ../../.venv/bin/mypy --config-file ../../pyproject.toml -p secscan -p secscan_probes)
