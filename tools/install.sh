#!/usr/bin/env bash
# Install mmmeta and the OpenMMLab stack it runs on into one Python
# environment, working around the known breakages of that stack on a modern
# machine (see docs/getting_started.md "Installation").
#
#   tools/install.sh            # .venv/ next to this repository
#   MMMETA_PYTHON=/path/python tools/install.sh   # an existing environment
#
# Rules it keeps:
#   * a torch that is already importable is kept (your CUDA build stays);
#     otherwise torch==2.13.0 is installed. A constraints file pins it so no
#     later step can replace it, and forbids torchvision.
#   * mmcv 2.1.0 is built once from the PyPI sdist (about 30 minutes on two
#     cores) with its compiled ops, without build isolation and with a
#     setuptools that still has pkg_resources; pip's wheel cache makes every
#     later install reuse that build.
#   * a second run on an environment that is already complete returns in
#     seconds (a stamp records what was installed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMMETA_VENV:-$ROOT/.venv}"
WITH_MMPRETRAIN="${MMMETA_WITH_MMPRETRAIN:-1}"
TORCH_DEFAULT="torch==2.13.0"

log() { printf '[mmmeta install] %s\n' "$*"; }
die() { printf '[mmmeta install] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- python
if [[ -n "${MMMETA_PYTHON:-}" ]]; then
    PY="$MMMETA_PYTHON"
    STATE_DIR="$ROOT/.mmmeta-env"
else
    BASE_PY="${PYTHON:-python3}"
    command -v "$BASE_PY" >/dev/null || die "no '$BASE_PY' on PATH; set PYTHON=/path/to/python3.11"
    if [[ ! -x "$VENV/bin/python" ]]; then
        if "$BASE_PY" -c 'import torch' 2>/dev/null; then
            log "torch found in $BASE_PY: creating $VENV with --system-site-packages to keep it"
            "$BASE_PY" -m venv --system-site-packages "$VENV"
        else
            log "creating $VENV"
            "$BASE_PY" -m venv "$VENV"
        fi
    fi
    PY="$VENV/bin/python"
    STATE_DIR="$VENV"
fi
mkdir -p "$STATE_DIR"
STAMP="$STATE_DIR/mmmeta-install.stamp"
CONSTRAINTS="$STATE_DIR/mmmeta-constraints.txt"

want_stamp() {
    cat "$ROOT/tools/install.sh" "$ROOT"/requirements/*.txt "$ROOT/setup.py" \
        | sha256sum | cut -d' ' -f1
    echo "mmpretrain=$WITH_MMPRETRAIN"
}
if [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(want_stamp)" ]] \
    && "$PY" -c 'import mmcv._ext, mmmeta' 2>/dev/null; then
    log "environment $("$PY" -c 'import sys; print(sys.prefix)') is up to date"
    exit 0
fi

PIP=("$PY" -m pip --disable-pip-version-check)
"$PY" -m pip --version >/dev/null 2>&1 || "$PY" -m ensurepip --upgrade

# ----------------------------------------------------------------- torch
if "$PY" -c 'import torch' 2>/dev/null; then
    TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__)')"
    log "keeping the installed torch $TORCH_VERSION"
else
    log "installing $TORCH_DEFAULT"
    "${PIP[@]}" install "$TORCH_DEFAULT"
    TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__)')"
fi
# Every later step runs with this file: torch stays exactly as it is, and
# torchvision (whose PyPI wheels need a CUDA torch) can never come in.
cat > "$CONSTRAINTS" <<CONS
torch==${TORCH_VERSION}
torchvision==0.0.0.dev0
setuptools>=77,<82
mmengine==0.11.0rc3
CONS
PIPC=("${PIP[@]}" install -c "$CONSTRAINTS")

# ------------------------------------------------------- build toolchain
"${PIPC[@]}" -r "$ROOT/requirements/build.txt"

# ------------------------------------------------------------- mmengine
"${PIPC[@]}" mmengine==0.11.0rc3 -r "$ROOT/requirements/downstream.txt"

# ----------------------------------------------------------------- mmcv
if ! "$PY" -c 'import mmcv; assert mmcv.__version__ == "2.1.0"; import mmcv._ext' 2>/dev/null; then
    log "installing mmcv 2.1.0 with compiled ops (a fresh build takes ~30 min on 2 cores;"
    log "the wheel is cached by pip and reused afterwards)"
    export MAX_JOBS="${MAX_JOBS:-$(nproc)}" MMCV_WITH_OPS=1
    "${PIPC[@]}" --no-build-isolation mmcv==2.1.0
    if ! "$PY" -c 'import mmcv._ext' 2>/dev/null; then
        # A wheel cached against another torch build: rebuild it.
        log "cached mmcv wheel does not match torch $TORCH_VERSION; rebuilding"
        "${PIPC[@]}" --no-build-isolation --no-cache-dir --force-reinstall --no-deps mmcv==2.1.0
    fi
fi
"$PY" -c 'from mmcv.ops import nms, RoIAlign' \
    || die "mmcv was installed without working compiled ops"

# ------------------------------------------------ mmdet, mmseg, mmmeta
"${PIPC[@]}" mmdet==3.3.0 mmsegmentation==1.2.2 -r "$ROOT/requirements/tests.txt" \
    -r "$ROOT/requirements/deploy.txt"
if [[ "$WITH_MMPRETRAIN" == "1" ]]; then
    "${PIPC[@]}" -r "$ROOT/requirements/optional.txt"
fi
# mim (model zoo search, `mim train/test mmmetaformer CONFIG`). openmim's
# `opendatalab` requirement (dataset downloads only, never imported by the
# commands used here) pins an old setuptools, so mim comes without it.
"${PIPC[@]}" -r "$ROOT/requirements/mim.txt"
"${PIPC[@]}" --no-deps openmim==0.3.9

# PyPI's "mmmeta" is an unrelated project that also installs an `mmmeta`
# module; before the rename to "mmmetaformer" this project used that name.
FOREIGN="$("$PY" - <<'PYFOREIGN'
import importlib.metadata as md
try:
    dist = md.distribution('mmmeta')
except md.PackageNotFoundError:
    print('')
else:
    summary = dist.metadata.get('Summary') or ''
    print('ours' if summary.startswith('MetaFormer-family') else summary)
PYFOREIGN
)"
if [[ "$FOREIGN" == "ours" ]]; then
    log "removing this project's install under its old name 'mmmeta'"
    "${PIP[@]}" uninstall -y mmmeta
elif [[ -n "$FOREIGN" ]]; then
    die "this environment has PyPI's unrelated 'mmmeta' package (\"$FOREIGN\"),
    which also installs an 'mmmeta' module and would shadow this one.
    Remove it with: $PY -m pip uninstall mmmeta   (then run this again)"
fi
"${PIPC[@]}" --no-build-isolation --no-deps -e "$ROOT"

# --------------------------------------------------------------- checks
"$PY" - <<'PYCHECK'
import importlib.metadata as md
import torch, mmcv, mmengine, mmdet, mmseg, mmmeta
from mmcv.ops import nms, RoIAlign  # noqa: F401
names = {d.metadata['Name'].lower() for d in md.distributions()}
assert 'torchvision' not in names, 'torchvision must not be installed'
assert 'mmmetaformer' in names, 'mmmeta is not installed as mmmetaformer'
print(f'[mmmeta install] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, '
      f'mmseg {mmseg.__version__}, mmmeta {mmmeta.__version__}')
PYCHECK
want_stamp > "$STAMP"
