#!/usr/bin/env bash
# The one command for a lent GPU (docs/gpu.md): install the wheelhouse,
# run the gpu tests, then the GPU benchmarks, each under a time cap, within
# a total budget; every step's log and a Markdown summary go to the output
# folder. A failed or timed-out step is recorded and the next one runs.
#
#   bash tools/gpu/run_all.sh                 # on the device ($OUT or --out)
#   bash tools/gpu/run_all.sh --dry-run       # here, on the CPU
#
# Options:
#   --dry-run      the same steps on the CPU at toy sizes, CUDA parts
#                  skipped (the gpu tests skip; nothing measured is a GPU
#                  number), the wheelhouse not installed: checks the script
#   --out DIR      output folder (default: $OUT, else work_dirs/gpu)
#   --budget S     seconds for everything (default 540, 9 minutes)
#   --wheelhouse D wheels to install (default .wheelhouse, see
#                  build_wheelhouse.sh)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DRY=0
OUT_DIR="${OUT:-$ROOT/work_dirs/gpu}"
BUDGET=540
WHEELS="$ROOT/.wheelhouse"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --out) OUT_DIR="$2"; shift ;;
        --budget) BUDGET="$2"; shift ;;
        --wheelhouse) WHEELS="$2"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
LOGS="$OUT_DIR/logs"
mkdir -p "$LOGS"
SUMMARY="$OUT_DIR/summary.md"
START=$SECONDS
FAILED=0
cd "$ROOT"

# ------------------------------------------------------------ environment
if [[ $DRY == 1 ]]; then
    PY="${PYTHON:-$ROOT/.venv/bin/python}"
    [[ -x "$PY" ]] || PY=python3
    DEVICE=cpu
    MODE="dry run on the CPU: CUDA parts skipped, toy sizes, no GPU numbers"
else
    PY="${PYTHON:-python3}"
    DEVICE=cuda
    MODE="GPU run"
    [[ -f "$WHEELS/SHA256SUMS" ]] || {
        echo "no wheelhouse at $WHEELS: run tools/gpu/build_wheelhouse.sh" \
            "here and carry .wheelhouse" >&2
        exit 1
    }
    (cd "$WHEELS" && sha256sum --quiet -c SHA256SUMS) || {
        echo "the wheelhouse does not match its SHA256SUMS" >&2
        exit 1
    }
    SITE="${GPU_SITE:-/tmp/mmmeta-site}"
    "$PY" -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target "$SITE" "$WHEELS"/*.whl \
        > "$LOGS/install.log" 2>&1 || {
        echo "installing the wheelhouse failed" >&2
        tail -20 "$LOGS/install.log" >&2
        exit 1
    }
    export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

{
    echo "# mmmeta GPU kit: $MODE"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
        "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo '```'
    "$PY" - <<'PYENV' 2>&1
import torch
print('torch', torch.__version__, 'CUDA', torch.version.cuda)
if torch.cuda.is_available():
    print('GPU', torch.cuda.get_device_name(), torch.cuda.get_device_capability())
else:
    print('no CUDA device')
try:
    import mmcv, mmdet, mmseg, mmengine
    from mmcv.ops import nms  # noqa: F401 (compiled ops)
    print('mmcv', mmcv.__version__, 'mmengine', mmengine.__version__,
          'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__)
except Exception as error:  # reported, the steps then fail clearly
    print('OpenMMLab stack incomplete:', error)
PYENV
    echo '```'
    echo
    echo '| step | status | seconds | log |'
    echo '|---|---|---|---|'
} > "$SUMMARY"

# step NAME CAP COMMAND...: run under `timeout CAP`, log to NAME.log
step() {
    local name="$1" cap="$2"
    shift 2
    local left=$((BUDGET - (SECONDS - START)))
    if [[ $left -lt 20 ]]; then
        echo "| $name | skipped: budget spent | 0 | |" >> "$SUMMARY"
        return
    fi
    [[ $cap -gt $left ]] && cap=$left
    local began=$SECONDS status
    echo "[gpu kit] $name (cap ${cap} s)"
    timeout --kill-after=10 "$cap" "$@" > "$LOGS/$name.log" 2>&1
    local rc=$?
    case $rc in
        0) status=ok ;;
        124|137) status="timed out at ${cap} s"; FAILED=1 ;;
        *) status="failed (exit $rc)"; FAILED=1 ;;
    esac
    echo "| $name | $status | $((SECONDS - began)) | $name.log |" >> "$SUMMARY"
    tail -3 "$LOGS/$name.log"
}

has() { "$PY" -c "import $1" >/dev/null 2>&1; }
# probed once: each probe is a Python start and a package import
HAS_TIMM=0 HAS_MMPRETRAIN=0
has timm && HAS_TIMM=1
has mmpretrain.models && HAS_MMPRETRAIN=1

BENCH=("$PY" tools/analysis/benchmark.py --device "$DEVICE")
ITER=("$PY" tools/analysis/train_iteration.py --device "$DEVICE")
FPN=configs/fpn_poolformer_s12_ade20k.py
MMSEG_FPN='mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py'
MASK_RCNN=configs/poolformer/mask_rcnn_poolformer_s12_fpn_1x_coco.py
if [[ $DRY == 1 ]]; then
    SMALL=(--batch 1 --shape 64 64 --warmup 0 --repeats 1 --no-memory)
    LARGE=("${SMALL[@]}")
    TRAIN=(--batch 1 --shape 64 64 --warmup 0 --repeats 1 --no-memory)
    ITER_SIZE=(--batch 1 --crop 64 64 --warmup 0 --steps 1 --no-memory)
    MANY=(--batch 1 --crop 64 64 --steps 2)
    SIDE=64
    # one family per loop, no inductor compilation: minutes on a CPU
    SPECS=(PoolFormer:s12:poolformer_s12)
    COMPILED=()
    DTYPES=(fp32 autocast-bf16)
else
    SMALL=(--batch 64 --shape 224 224 --warmup 5 --repeats 20)
    LARGE=(--batch 8 --shape 512 512 --warmup 5 --repeats 20)
    TRAIN=(--batch 8 --shape 512 512 --warmup 3 --repeats 10)
    ITER_SIZE=(--batch 8 --crop 512 512 --warmup 3 --steps 10)
    MANY=(--batch 8 --crop 512 512 --steps 300)
    SIDE=512
    SPECS=(PoolFormer:s12:poolformer_s12 ConvFormer:s18:convformer_s18
        CAFormer:s18:caformer_s18)
    COMPILED=(compiled)
    DTYPES=(fp32 autocast-fp16 autocast-bf16)
fi

# ------------------------------------------------------------------ tests
step gpu-tests 240 "$PY" -m pytest -m gpu tests/test_gpu.py -q -rs \
    -p no:cacheprovider -o addopts=''

# ------------------------------------------- inference and training step
# against timm's models (same weights) where timm is there: ours without
# output norms, as timm's stage outputs
for spec in "${SPECS[@]}"; do
    IFS=: read -r backbone arch timm_name <<< "$spec"
    peer=() peer_args=()
    if [[ $HAS_TIMM == 1 ]]; then
        peer=(official)
        peer_args=(--official-code timm --official-model "$timm_name"
            --options out_norm_cfg=None)
    fi
    model=(--backbone "$backbone" --arch "$arch" "${peer_args[@]}")
    for dtype in "${DTYPES[@]}"; do
        step "infer-$timm_name-b64-$dtype" 60 "${BENCH[@]}" "${model[@]}" \
            "${SMALL[@]}" --dtype "$dtype" --channels-last \
            --variants "${peer[@]}" fast deploy "${COMPILED[@]}"
    done
    step "infer-$timm_name-b8-512" 60 "${BENCH[@]}" "${model[@]}" \
        "${LARGE[@]}" --channels-last \
        --variants "${peer[@]}" fast deploy "${COMPILED[@]}"
    step "train-$timm_name" 60 "${BENCH[@]}" --train "${model[@]}" \
        "${TRAIN[@]}" --variants "${peer[@]}" reference autograd lean cp
done
if [[ $HAS_MMPRETRAIN == 1 ]]; then
    step infer-mmpretrain-poolformer-s12 60 "${BENCH[@]}" \
        --backbone PoolFormer --arch s12 "${SMALL[@]}" \
        --variants official fast deploy "${COMPILED[@]}" \
        --official-code mmpretrain --official-model PoolFormer \
        --official-options "arch='s12'" 'out_indices=(0,2,4,6)'
else
    echo "| infer-mmpretrain-poolformer-s12 | skipped: mmpretrain.models" \
        "does not import | 0 | |" >> "$SUMMARY"
fi
step train-transnext-tiny 60 "${BENCH[@]}" --train --backbone TransNeXt \
    --arch tiny "${TRAIN[@]}" --variants autograd lean cp \
    --options "img_size=$SIDE"
step train-ffnet-2 60 "${BENCH[@]}" --train --backbone FFNet --arch 2 \
    "${TRAIN[@]}" --variants autograd lean cp

# the whole FPN iteration: our config and mmseg's own (its backbone is
# mmpretrain's PoolFormer), AMP as mmseg's --amp gives
fpn_configs=("$FPN")
[[ $HAS_MMPRETRAIN == 1 ]] && fpn_configs+=("$MMSEG_FPN")
step fpn-iteration-amp 90 "${ITER[@]}" "${fpn_configs[@]}" "${ITER_SIZE[@]}" \
    --amp fp16
step fpn-iteration-fp32 90 "${ITER[@]}" "${fpn_configs[@]}" "${ITER_SIZE[@]}"
step fpn-300-amp-fp16 120 "${ITER[@]}" "$FPN" "${MANY[@]}" --amp fp16 \
    --no-timing
step mask-rcnn-300-amp-fp16 120 "${ITER[@]}" "$MASK_RCNN" "${MANY[@]}" \
    --amp fp16 --no-timing

# ------------------------------------------------------------- summary
{
    echo
    echo "Total $((SECONDS - START)) s of a ${BUDGET} s budget."
    [[ $DRY == 1 ]] && echo "Dry run: no number here is a GPU measurement."
    echo
    for log in "$LOGS"/*.log; do
        [[ "$log" == */install.log ]] && continue
        echo "## ${log##*/}"
        echo '```'
        tail -25 "$log"
        echo '```'
    done
} >> "$SUMMARY"
# the device returns at most 8 files: the logs travel as one archive
tar -czf "$OUT_DIR/logs.tar.gz" -C "$OUT_DIR" logs
[[ $DRY == 1 ]] || rm -rf "$LOGS"
echo "[gpu kit] summary: $SUMMARY ($((SECONDS - START)) s)"
exit $FAILED
