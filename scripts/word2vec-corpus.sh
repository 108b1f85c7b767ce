#!/usr/bin/env bash
# Builds the word2vec benchmark corpus from Debian packages alone (`make word2vec-corpus`): installs
# dict-gcide, wordnet-base, fortunes and jargon-text when missing, then writes one text8-style file
# (scripts/word2vec_corpus.py says what goes in). Usage: word2vec-corpus.sh [OUT]
# (default .build/word2vec/corpus.txt). Safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/.build/word2vec/corpus.txt}"
bash "$ROOT/scripts/apt-ensure.sh" dict-gcide wordnet-base fortunes jargon-text python3
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/scripts/word2vec_corpus.py" "$OUT"
