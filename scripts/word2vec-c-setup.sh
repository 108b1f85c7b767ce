#!/usr/bin/env bash
# Builds the original word2vec.c (Mikolov's tool, bundled in the PyPI sdist `word2vec`) for the word2vec
# benchmark peer: downloads the sdist with the peers venv's pip into .build/word2vec-c/ when missing and
# compiles its C source with the original makefile's flags, gcc -O3 -march=native -funroll-loops (the
# sdist's own setup.py uses -Ofast instead; set W2V_CFLAGS to change). Never committed: a build artefact.
# Usage: word2vec-c-setup.sh   → prints the binary's path. Safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.build/word2vec-c"
PIP="${PEERS_VENV:-$ROOT/.build/peers-venv}/bin/pip"
CFLAGS="${W2V_CFLAGS:--O3 -march=native -funroll-loops}"
mkdir -p "$DIR"
cd "$DIR"
if ! ls word2vec-*.tar.gz >/dev/null 2>&1; then
    "$PIP" download --no-deps --no-binary :all: word2vec -d . >&2
fi
SDIST="$(ls word2vec-*.tar.gz | sort -V | tail -1)"
SRC="${SDIST%.tar.gz}/word2vec/includes/word2vec.c"
[ -f "$SRC" ] || tar xzf "$SDIST"
if [ ! -x word2vec ] || [ "$SRC" -nt word2vec ] || [ "$(cat cflags 2>/dev/null)" != "$CFLAGS" ]; then
    # shellcheck disable=SC2086
    gcc $CFLAGS -Wall -Wno-unused-result -pthread "$SRC" -o word2vec -lm >&2
    echo "$CFLAGS" > cflags
fi
echo "$DIR/word2vec"
