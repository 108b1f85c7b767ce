#!/usr/bin/env bash
# Runs every peer script with the venv's python and prints all their JSON lines on stdout.
#   Benchmarks/peers/run_all.sh [--quick] [--threads N] ...   (extra options go to every script)
# A script whose peer is unavailable (exit status 3) is skipped; progress goes to stderr.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PEERS_PYTHON:-$ROOT/.build/peers-venv/bin/python}"
if [ ! -x "$PY" ]; then
    echo "run_all: no $PY; run scripts/bench-peers-setup.sh (make bench-peers) first" >&2
    exit 3
fi
status=0
for script in mlp_step_torch mlp_step_numpy gates_231_python gates_231_micrograd time_to_accuracy; do
    echo "run_all: $script $*" >&2
    "$PY" "$ROOT/Benchmarks/peers/$script.py" "$@"
    rc=$?
    if [ $rc -eq 3 ]; then
        echo "run_all: $script skipped (peer unavailable)" >&2
    elif [ $rc -ne 0 ]; then
        echo "run_all: $script failed with status $rc" >&2
        status=1
    fi
done
exit $status
