#!/usr/bin/env bash
# The one command for a lent GPU (docs/gpu.md): tools/gpu/kit.py, run by
# the Python that has torch (on the device its own python3; here the
# project's .venv unless PYTHON names another, e.g. the rehearsal's).
#
#   bash tools/gpu/run_all.sh --plan       # the steps, caps and total
#   bash tools/gpu/run_all.sh --dry-run    # here, on the CPU
#   bash tools/gpu/run_all.sh              # on the device, into $OUT
#   bash tools/gpu/run_all.sh --help       # every option
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    PY=python3
    [[ -x "$ROOT/.venv/bin/python" ]] && PY="$ROOT/.venv/bin/python"
fi
exec "$PY" "$ROOT/tools/gpu/kit.py" "$@"
