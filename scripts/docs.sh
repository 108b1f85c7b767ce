#!/usr/bin/env bash
# Builds the DocC documentation of the public modules into docs-out/<Module>.doccarchive.
#
#   bash scripts/docs.sh                  # Tensor, Gates, Layers, Datasets (those with public symbols)
#   bash scripts/docs.sh Tensor           # only the named modules
#   DOCS_STRICT=1 bash scripts/docs.sh    # fail on DocC warnings (broken ``links``, bad parameters)
#
# Each archive is transformed for static hosting. To view one:
#   python3 -m http.server --directory docs-out/Tensor.doccarchive 8000
#   open http://localhost:8000/documentation/tensor
#
# Environment: SWIFT (default: swift), DOCC (default: the toolchain's docc), DOCS_OUT (default: docs-out).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SWIFT=${SWIFT:-swift}
OUT=${DOCS_OUT:-docs-out}
# A scratch path of its own: symbol-graph extraction builds in debug, and sharing .build would make the
# next `swift build` of the main configuration redo work or see unexpected artifacts.
SCRATCH=.build/docs
if [ "$#" -gt 0 ]; then MODULES=("$@"); else MODULES=(Tensor Gates Layers Datasets); fi

find_docc() {
    if [ -n "${DOCC:-}" ]; then echo "$DOCC"; return; fi
    local swift_path
    swift_path=$(command -v "$SWIFT" || true)
    for candidate in /opt/swift/usr/bin/docc "${swift_path:+$(dirname "$swift_path")/docc}" "$(command -v docc || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
    echo "docs.sh: cannot find docc (looked in /opt/swift/usr/bin, next to $SWIFT, on PATH); set DOCC=" >&2
    exit 1
}
DOCC_BIN=$(find_docc)

# 1. Symbol graphs. `swift package dump-symbol-graph` extracts them afresh from the built modules on every
#    run. Passing -emit-symbol-graph to `swift build` would not: a no-op incremental build emits nothing,
#    so the output would depend on what happened to be rebuilt.
echo "docs.sh: extracting symbol graphs (scratch path $SCRATCH)"
# Graphs left by an earlier run must not stand in for ones this run failed to write.
if [ -d "$SCRATCH" ]; then find "$SCRATCH" -maxdepth 2 -type d -name symbolgraph -exec rm -rf {} +; fi
dump_log=$(mktemp)
trap 'rm -f "$dump_log"' EXIT
# SwiftPM also tries the synthesized test-runner modules (CircuitsPackageTests, …), cannot load them, and
# exits 1 even though every library's graph was written. So the exit status alone cannot be trusted:
# success means a fresh graph exists for every requested module (checked below).
dump_status=0
"$SWIFT" package --scratch-path "$SCRATCH" dump-symbol-graph \
    --minimum-access-level public --emit-extension-block-symbols >"$dump_log" 2>&1 || dump_status=$?
GRAPHS=$(sed -n 's/^Files written to //p' "$dump_log" | tail -n 1)
if [ -z "$GRAPHS" ] || [ ! -d "$GRAPHS" ]; then
    # SwiftPM's message changed, so look for the directory instead.
    GRAPHS=$(find "$SCRATCH" -maxdepth 2 -type d -name symbolgraph -print -quit 2>/dev/null || true)
fi
missing=()
for module in "${MODULES[@]}"; do
    if [ -z "$GRAPHS" ] || [ ! -f "$GRAPHS/$module.symbols.json" ]; then missing+=("$module"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    cat "$dump_log" >&2
    echo "docs.sh: symbol-graph extraction (exit $dump_status) wrote no graph for: ${missing[*]}" >&2
    exit 1
fi

# 2. One archive per module, written to a staging directory and swapped in at the end. A failed run then
#    leaves the previous docs-out/ as it was, and a successful run never keeps archives of modules that
#    were dropped.
STAGE="$OUT.partial"
rm -rf "$STAGE" "$SCRATCH/module-graphs"
mkdir -p "$STAGE"
strict=()
if [ "${DOCS_STRICT:-0}" = 1 ]; then strict=(--warnings-as-errors); fi

built=()
for module in "${MODULES[@]}"; do
    main_graph="$GRAPHS/$module.symbols.json"
    # DocC reads every graph in the directory it is given, so each module gets a directory holding only
    # its own graphs: Module.symbols.json plus Module@Other.symbols.json for extensions of other modules.
    graphs="$SCRATCH/module-graphs/$module"
    mkdir -p "$graphs"
    cp "$main_graph" "$graphs/"
    shopt -s nullglob
    extensions=("$GRAPHS/$module@"*.symbols.json)
    shopt -u nullglob
    if [ "${#extensions[@]}" -gt 0 ]; then cp "${extensions[@]}" "$graphs/"; fi

    catalog="Sources/$module/$module.docc"
    if grep -q '"symbols":\[\]' "$main_graph" && [ "${#extensions[@]}" -eq 0 ] && [ ! -d "$catalog" ]; then
        echo "docs.sh: skipping $module (no public symbols yet)"
        continue
    fi

    args=(convert)
    if [ -d "$catalog" ]; then args+=("$catalog"); fi
    args+=(
        --additional-symbol-graph-dir "$graphs"
        --output-path "$STAGE/$module.doccarchive"
        --fallback-display-name "$module"
        --fallback-bundle-identifier "circuits.$module"
        --transform-for-static-hosting
        "${strict[@]}"
    )
    echo "docs.sh: converting $module"
    "$DOCC_BIN" "${args[@]}"
    built+=("$module")
done

if [ "${#built[@]}" -eq 0 ]; then
    rm -rf "$STAGE"
    echo "docs.sh: no module had public symbols; nothing written" >&2
    exit 1
fi

rm -rf "$OUT"
mv "$STAGE" "$OUT"
echo "docs.sh: wrote ${built[*]/%/.doccarchive} to $OUT/"
echo "docs.sh: view with: python3 -m http.server --directory $OUT/${built[0]}.doccarchive 8000" \
     "→ http://localhost:8000/documentation/$(echo "${built[0]}" | tr '[:upper:]' '[:lower:]')"
