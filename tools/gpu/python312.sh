# Sourced by the GPU kit's scripts: python312 prints a working Python 3.12
# (the device's version): $PYTHON312, python3.12 on PATH, or pyenv's.
python312() {
    local candidate
    for candidate in "${PYTHON312:-}" python3.12 \
        "$(pyenv root 2>/dev/null || echo ~/.pyenv)"/versions/3.12*/bin/python3.12; do
        if [[ -n "$candidate" ]] && "$candidate" -c \
            'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# venv312 DIR CHECK PACKAGE...: a Python 3.12 venv in DIR (made if absent)
# in which the Python code CHECK runs; PACKAGEs are pip-installed when it
# does not. The caller defines log and die.
venv312() {
    local dir="$1" check="$2" py312
    shift 2
    if [[ ! -x "$dir/bin/python" ]]; then
        py312="$(python312)" || die "no Python 3.12 found; set PYTHON312=/path/to/python3.12"
        log "creating $dir with $py312"
        "$py312" -m venv "$dir"
    fi
    if ! "$dir/bin/python" -c "$check" 2>/dev/null; then
        log "installing $* into $dir (torch 2.11.0 from PyPI: several GB)"
        "$dir/bin/python" -m pip install --disable-pip-version-check -q "$@" \
            || die "pip could not install $* into $dir"
    fi
}
