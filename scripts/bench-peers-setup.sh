#!/usr/bin/env bash
# Prepares the Python peers of the benchmark suite (called by `make bench-peers`).
#
# Creates the virtual environment .build/peers-venv (relative to the repository root) when it is
# missing, installs numpy, scikit-learn, safetensors, micrograd, torch and gensim into it only when they are
# not importable, and prints the versions. Safe to run again. A package that cannot be installed is
# reported and skipped (the exit status stays 0): the suite then skips the peers that need it.
#
# Environment: PYTHON (interpreter that creates the venv, default python3),
#              PEERS_VENV (venv directory, default .build/peers-venv).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${PEERS_VENV:-.build/peers-venv}"
PY="$VENV/bin/python"
BASE_PYTHON="${PYTHON:-python3}"

say() { echo "bench-peers-setup: $*"; }

make_venv() {
    "$BASE_PYTHON" -m venv "$VENV" >/dev/null 2>&1 && "$PY" -m pip --version >/dev/null 2>&1
}

if [ ! -x "$PY" ] || ! "$PY" -c 'import sys' >/dev/null 2>&1; then
    if ! command -v "$BASE_PYTHON" >/dev/null 2>&1; then
        say "no $BASE_PYTHON on this machine; the Python peers are skipped"
        exit 0
    fi
    say "creating $VENV with $("$BASE_PYTHON" --version 2>&1)"
    rm -rf "$VENV"
    if ! make_venv; then
        # Debian's python3 needs python3-venv (ensurepip) for `python3 -m venv`.
        if [ -f scripts/apt-ensure.sh ] && command -v dpkg-query >/dev/null 2>&1; then
            say "python3 -m venv failed; installing python3-venv"
            bash scripts/apt-ensure.sh python3-venv python3-pip || true
            rm -rf "$VENV"
            make_venv || true
        fi
    fi
    if ! "$PY" -m pip --version >/dev/null 2>&1; then
        say "could not create a working venv at $VENV; the Python peers are skipped"
        exit 0
    fi
fi

# distribution name -> import name
PACKAGES=("numpy:numpy" "scikit-learn:sklearn" "safetensors:safetensors" "micrograd:micrograd" "torch:torch" "gensim:gensim" "openTSNE:openTSNE")

missing=()
for entry in "${PACKAGES[@]}"; do
    dist="${entry%%:*}"
    module="${entry##*:}"
    if ! "$PY" -c "import $module" >/dev/null 2>&1; then
        missing+=("$dist")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # One at a time, so that a package that cannot be installed does not block the others.
    for dist in "${missing[@]}"; do
        if ! "$PY" -m pip install --disable-pip-version-check --quiet "$dist"; then
            say "WARNING: could not install $dist; the peers that need it are skipped"
        fi
    done
fi

# Versions, one per line: "name version" or "name unavailable".
for entry in "${PACKAGES[@]}"; do
    dist="${entry%%:*}"
    module="${entry##*:}"
    version="$("$PY" - "$dist" "$module" 2>/dev/null <<'EOF'
import importlib, sys
from importlib import metadata
dist, module = sys.argv[1], sys.argv[2]
importlib.import_module(module)
try:
    print(metadata.version(dist))
except metadata.PackageNotFoundError:
    print(getattr(sys.modules[module], "__version__", "?"))
EOF
)"
    if [ -n "$version" ]; then
        printf '%-14s %s\n' "$dist" "$version"
    else
        printf '%-14s %s\n' "$dist" "unavailable"
    fi
done
printf '%-14s %s\n' "python" "$("$PY" -c 'import platform; print(platform.python_version())')"
exit 0
