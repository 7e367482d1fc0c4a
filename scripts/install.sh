#!/usr/bin/env bash
# Installs secscan for development from this checkout: .venv (secscan + bandit, pip-audit, detect-secrets,
# schemathesis, test tools) and .venv-semgrep (semgrep alone: its pins clash with current click/fastapi).
# semgrep is linked into .venv/bin so secscan finds it next to its own interpreter. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SEMGREP_VERSION=1.182.0   # 1.182.1+ need certifi>=2026.10.19, not on the registry yet

log() { printf '[install] %s\n' "$*" >&2; }
quiet_pip() { grep -v -e "^WARNING: Location 'file:" -e '^$' || true; }

install_main() {
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | quiet_pip
  .venv/bin/python -m pip install -q -e ".[test]" 2>&1 | quiet_pip
}

install_semgrep() {
  if [ -x .venv-semgrep/bin/semgrep ] && .venv-semgrep/bin/semgrep --version 2>/dev/null | grep -qx "$SEMGREP_VERSION"; then
    return 0
  fi
  [ -x .venv-semgrep/bin/python ] || "$PY" -m venv .venv-semgrep
  .venv-semgrep/bin/python -m pip install -q "semgrep==$SEMGREP_VERSION" 2>&1 | quiet_pip
}

log "installing secscan into .venv and semgrep $SEMGREP_VERSION into .venv-semgrep (in parallel)"
install_main & main_pid=$!
install_semgrep & sg_pid=$!
wait "$main_pid"
wait "$sg_pid"
ln -sf ../../.venv-semgrep/bin/semgrep .venv/bin/semgrep
.venv/bin/secscan --version >&2
log "done: use .venv/bin/secscan (semgrep: $(.venv/bin/semgrep --version))"
