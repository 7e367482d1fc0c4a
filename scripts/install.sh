#!/usr/bin/env bash
# Installs secscan for development from this checkout: .venv (secscan + bandit, pip-audit, detect-secrets,
# schemathesis, test tools) and .venv-semgrep (semgrep alone: its pins clash with current click/fastapi).
# semgrep is linked into .venv/bin so secscan finds it next to its own interpreter. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
SEMGREP_VERSION=1.182.0   # 1.182.1+ need certifi>=2026.10.19, not on the registry yet
PY_MIN=11 PY_MAX=13       # CPython 3.11 .. 3.13 (the newest one tested; raise PY_MAX after testing a newer one)

log() { printf '[install] %s\n' "$*" >&2; }

# bandit parses the scanned code with the interpreter it runs under: on 3.11 every file using 3.12 syntax
# (PEP 701 f-strings, PEP 695 `type` aliases) is a "syntax error" bandit skips. So the newest CPython on the
# machine: python3.13 .. python3.11 and python3 on PATH, then pyenv's versions (its shims on PATH only answer
# for the selected version, hence actually running every candidate). PYTHON=/path/to/python overrides.
py_probe() {  # "MINOR EXECUTABLE" of a usable CPython 3 release (with venv and ensurepip), else fails
  "$1" -c 'import sys, venv, ensurepip
assert sys.implementation.name == "cpython" and sys.version_info.major == 3 and sys.version_info.releaselevel == "final"
print(sys.version_info.minor, sys.executable)' 2>/dev/null
}

newest_python() {
  local candidates=() cand minor exe best="" best_minor=0 v root
  for ((v = PY_MAX; v >= PY_MIN; v--)); do candidates+=("python3.$v"); done
  candidates+=(python3)
  if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
    for cand in "$root"/versions/*/bin/python3; do [ -x "$cand" ] && candidates+=("$cand"); done
  fi
  for cand in "${candidates[@]}"; do
    command -v "$cand" >/dev/null 2>&1 || continue
    read -r minor exe < <(py_probe "$cand") || continue
    if [ "$minor" -ge "$PY_MIN" ] && [ "$minor" -le "$PY_MAX" ] && [ "$minor" -gt "$best_minor" ]; then
      best=$exe best_minor=$minor
    fi
  done
  [ -n "$best" ] || { log "no CPython 3.$PY_MIN..3.$PY_MAX with venv found (set PYTHON=/path/to/python3)"; return 1; }
  printf '%s\n' "$best"
}

if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; else PY=$(newest_python) || exit 1; fi
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
log "using $PY (Python $PY_VERSION)"
if [ -x .venv/bin/python ]; then
  venv_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [ "$venv_version" != "$PY_VERSION" ]; then
    log "note: the existing .venv runs Python $venv_version, not $PY_VERSION; it is kept (bandit parses code as" \
        "$venv_version does): remove .venv and rerun to rebuild it"
  fi
fi

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
