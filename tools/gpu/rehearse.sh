#!/usr/bin/env bash
# The device's versions, here (make gpu-rehearsal): a Python 3.12
# environment with PyPI's torch 2.11.0 (its CUDA build; it runs on a CPU)
# and the packages the device has, plus the wheelhouse installed the way the
# kit installs it on the device; then, in it, the kit's dry run and the
# contract tests on the CPU. Nothing measured here is a GPU number.
#
#   bash tools/gpu/rehearse.sh              # .rehearsal/ (git-ignored)
#   bash tools/gpu/rehearse.sh -- -k pool   # extra pytest arguments
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/gpu/python312.sh
source "$ROOT/tools/gpu/python312.sh"
HERE="${REHEARSAL:-$ROOT/.rehearsal}"
WHEELS="${WHEELHOUSE:-$ROOT/.wheelhouse}"
[[ "${1:-}" == "--" ]] && shift
log() { printf '[rehearsal] %s\n' "$*"; }
die() { printf '[rehearsal] ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f "$WHEELS/SHA256SUMS" ]] || die "no wheelhouse at $WHEELS: mkdir .wheelhouse && cp ../shared/gpu-wheelhouse/*.whl ../shared/gpu-wheelhouse/SHA256SUMS .wheelhouse/"
PY="$HERE/venv/bin/python"
# the device's own packages (docs/gpu.md), at the versions it has where
# they matter: torch 2.11.0 and its torchvision
venv312 "$HERE/venv" 'import torch, torchvision, timm, pytest_timeout, xdist' \
    torch==2.11.0 torchvision==0.26.0 timm onnxruntime numpy \
    opencv-python-headless scipy matplotlib pyyaml rich tqdm regex six \
    pytest pytest-timeout pytest-xdist
"$PY" -c 'import torch; assert torch.__version__.startswith("2.11.0"), torch.__version__'
log "$("$PY" -c 'import sys, torch; print("Python", sys.version.split()[0], "torch", torch.__version__)')"

# the kit's dry run, installing the wheelhouse as on the device
export GPU_SITE="$HERE/site"
PYTHON="$PY" bash "$ROOT/tools/gpu/run_all.sh" --dry-run \
    --wheelhouse "$WHEELS" --out "$HERE/kit" || die "the kit's dry run failed: $HERE/kit/summary.md"
log "dry run passed: $HERE/kit/summary.md"
# the contract tests, with the wheelhouse on the path as the kit puts it
PYTHONPATH="$GPU_SITE:$ROOT" "$PY" -m pytest "$ROOT/tests/test_contracts.py" \
    "$ROOT/tests/test_gpu.py" -p no:cacheprovider -q -x "$@"
