#!/usr/bin/env bash
# Prepare, on a CPU machine, every wheel the lent GPU machine lacks, so that
# the device run is one call of tools/gpu/run_all.sh (docs/gpu.md).
#
#   bash tools/gpu/build_wheelhouse.sh             # -> .wheelhouse/
#   WHEELHOUSE=/path bash tools/gpu/build_wheelhouse.sh
#   bash tools/gpu/build_wheelhouse.sh --rebuild   # build mmcv again
#   bash tools/gpu/build_wheelhouse.sh --check DIR # one version per project
#
# 1. downloads the pinned cp312 / pure-Python wheels of device-wheels.txt;
# 2. builds mmcv 2.1.0 with its CUDA ops for the device (sm_90, against
#    PyPI's torch 2.11.0, CUDA 13.0) in a Python 3.12 environment of its own,
#    strips the extension and packs the wheel. A finished wheel is reused; an
#    interrupted build resumes (ninja keeps the objects in the build folder).
#    About 70 minutes on two cores, 15 GB of disk for torch and the objects.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${WHEELHOUSE:-$ROOT/.wheelhouse}"
WORK="${WHEELHOUSE_BUILD:-$ROOT/.wheelhouse-build}"
export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda-13.0}"
ARCH="${TORCH_CUDA_ARCH_LIST:-9.0}"
JOBS="${MAX_JOBS:-$(nproc)}"
TORCH_SPEC="torch==2.11.0"
MMCV_VERSION="2.1.0"
NEED_GB=15
REBUILD=0
CHECK=""

# shellcheck source=tools/gpu/python312.sh
source "$ROOT/tools/gpu/python312.sh"
log() { printf '[wheelhouse] %s\n' "$*"; }
die() { printf '[wheelhouse] ERROR: %s\n' "$*" >&2; exit 1; }

# one_version DIR: the device installs with --no-deps, so two versions of a
# project in the wheelhouse would make pip stop; name them
one_version() {
    local twice
    twice=$(find "$1" -maxdepth 1 -name '*.whl' -printf '%f\n' \
        | awk -F- '{n = tolower($1); gsub(/[._]/, "-", n); v[n] = v[n] " " $2; c[n]++}
                   END {for (n in c) if (c[n] > 1) print n ":" v[n]}')
    [[ -z "$twice" ]] || die "more than one version of a project in $1: $twice"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rebuild) REBUILD=1 ;;
        --check) CHECK="${2:?--check needs a folder}"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -n "$CHECK" ]]; then
    one_version "$CHECK"
    log "$CHECK holds one version of each project"
    exit 0
fi
START=$SECONDS
mkdir -p "$OUT" "$WORK"
# stale wheels (an older pin) go; the built mmcv stays unless --rebuild
find "$OUT" -maxdepth 1 -name '*.whl' ! -name "mmcv-$MMCV_VERSION-cp312-*.whl" -delete

# --------------------------------------------------------- pure wheels
log "downloading the pinned wheels of tools/gpu/device-wheels.txt"
python3 -m pip download --disable-pip-version-check -q --no-deps \
    --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$OUT" -r "$ROOT/tools/gpu/device-wheels.txt" \
    || die "pip could not download the wheels above (is PyPI reachable?)"

# ---------------------------------------------------------------- mmcv
shopt -s nullglob
built=("$OUT"/mmcv-"$MMCV_VERSION"-cp312-*.whl)
if [[ ${#built[@]} -gt 0 && $REBUILD == 0 ]]; then
    log "reusing ${built[0]#"$ROOT"/} (--rebuild builds it again)"
else
    rm -f "${built[@]}"
    NVCC="$CUDA_HOME/bin/nvcc"
    [[ -x "$NVCC" ]] || die "no nvcc at $NVCC: install the CUDA 13.0 toolkit or set CUDA_HOME"
    "$NVCC" --version | grep -q 'release 13\.0' \
        || die "$NVCC is not CUDA 13.0 ($("$NVCC" --version | tail -1)); the device's torch is cu130"
    command -v strip >/dev/null || die "no 'strip' (binutils) on PATH"
    free_gb=$(df -Pk "$WORK" | awk 'NR==2 {print int($4 / 1048576)}')
    [[ -d "$WORK/venv" || $free_gb -ge $NEED_GB ]] \
        || die "only ${free_gb} GB free under $WORK; the build needs about ${NEED_GB} GB (set WHEELHOUSE_BUILD)"
    venv312 "$WORK/venv" \
        "import torch; assert torch.__version__.startswith('2.11.0') and torch.version.cuda.startswith('13.0')" \
        "$TORCH_SPEC" 'setuptools==81.0.0' wheel ninja packaging numpy
    VPY="$WORK/venv/bin/python"
    SITE="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    [[ -d "$SITE/nvidia/cu13/include" ]] \
        || die "no $SITE/nvidia/cu13/include: torch's CUDA libraries did not come with $TORCH_SPEC"

    SRC="$WORK/mmcv-$MMCV_VERSION"
    if [[ ! -f "$SRC/setup.py" ]]; then
        log "fetching the mmcv $MMCV_VERSION sdist"
        "$VPY" -m pip download --disable-pip-version-check -q --no-deps \
            --no-binary=:all: "mmcv==$MMCV_VERSION" -d "$WORK" \
            || die "could not download the mmcv $MMCV_VERSION sdist"
        tar -xzf "$WORK/mmcv-$MMCV_VERSION.tar.gz" -C "$WORK"
    fi
    log "compiling mmcv $MMCV_VERSION's ops for sm_${ARCH/./} with $JOBS jobs (about 70 min on 2 cores)"
    (
        cd "$SRC"
        export FORCE_CUDA=1 MMCV_WITH_OPS=1 TORCH_CUDA_ARCH_LIST="$ARCH" MAX_JOBS="$JOBS"
        export CPATH="$SITE/nvidia/cu13/include${CPATH:+:$CPATH}"
        export PATH="$CUDA_HOME/bin:$WORK/venv/bin:$PATH"
        "$VPY" setup.py -q bdist_wheel -d "$WORK/dist" > "$WORK/mmcv-build.log" 2>&1
    ) || die "the mmcv build failed; the last lines of $WORK/mmcv-build.log:
$(tail -20 "$WORK/mmcv-build.log")"

    raw=("$WORK"/dist/mmcv-"$MMCV_VERSION"-cp312-*.whl)
    [[ ${#raw[@]} -eq 1 ]] || die "expected one mmcv wheel in $WORK/dist, found ${#raw[@]}"
    rm -rf "$WORK/unpacked" && mkdir "$WORK/unpacked"
    "$VPY" -m wheel unpack -d "$WORK/unpacked" "${raw[0]}" >/dev/null
    ext=("$WORK"/unpacked/mmcv-*/mmcv/_ext*.so)
    [[ ${#ext[@]} -eq 1 ]] || die "the mmcv wheel holds no compiled _ext module"
    before=$(du -m "${ext[0]}" | cut -f1)
    strip --strip-unneeded "${ext[0]}"
    log "stripped ${ext[0]##*/}: ${before} MB -> $(du -m "${ext[0]}" | cut -f1) MB"
    "$VPY" -m wheel pack -d "$OUT" "$WORK"/unpacked/mmcv-* >/dev/null
fi

# ------------------------------------------------------------- summary
one_version "$OUT"
(cd "$OUT" && sha256sum ./*.whl > SHA256SUMS)
total_kb=$(du -ck "$OUT"/*.whl | tail -1 | cut -f1)
log "wheels in ${OUT#"$ROOT"/}:"
du -h "$OUT"/*.whl | sed 's|'"$OUT"'/||' | sort -h | sed 's/^/    /'
log "total $((total_kb / 1024)) MiB of the device call's 64 MiB; done in $(((SECONDS - START) / 60)) min $(((SECONDS - START) % 60)) s"
[[ $total_kb -le $((48 * 1024)) ]] \
    || die "the wheelhouse is over 48 MiB: it leaves too little of the 64 MiB a device call carries"
