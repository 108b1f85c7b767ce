#!/usr/bin/env bash
# Checks the HTML report as a person would: renders it in headless Chromium, fails on console errors,
# checks that the figures are in the rendered DOM, and leaves a PNG screenshot to look at.
#
#   bash scripts/report-check.sh [REPORT.html]
#
# Without an argument it trains a small model on the 2-D spirals toy set (so every figure, including the
# decision regions, is present) and checks that report. Output: .build/report-check/{report.html,report.png,dom.html}
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/report-check
mkdir -p "$out"

bash scripts/apt-ensure.sh chromium
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report-check: chromium not found after install" >&2; exit 1; }

if [ $# -ge 1 ]; then
    report=$(realpath "$1")
else
    swift build -c release --product circuits
    .build/release/circuits train --data toy:spirals:600 --model mlp:32,32 --lr 0.01 --epochs 150 --batch-size 32 \
        --out "$out/spirals.safetensors" --report "$out/report.html" >"$out/train.log" 2>&1
    report=$(realpath "$out/report.html")
fi

# No network access at all: a report that tried to fetch anything would show errors below.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$out/profile")
"$browser" "${flags[@]}" --window-size=1280,1800 --screenshot="$out/report.png" \
    --enable-logging=stderr --v=0 "file://$report" 2>"$out/chromium.log" || true
"$browser" "${flags[@]}" --dump-dom "file://$report" >"$out/dom.html" 2>/dev/null

status=0
if grep -E "CONSOLE|Uncaught|ERR_|Failed to load" "$out/chromium.log" | grep -v "dbus\|DevTools\|sandbox\|gpu\|GPU" >"$out/errors.log"; then
    echo "report-check: the page logged errors:" >&2; cat "$out/errors.log" >&2; status=1
fi
[ -s "$out/report.png" ] || { echo "report-check: no screenshot was written" >&2; status=1; }
for id in loss-curve accuracy-curve confusion per-class epochs; do
    grep -q "id=\"$id\"" "$out/dom.html" || { echo "report-check: figure #$id missing from the rendered page" >&2; status=1; }
done
if [ $# -eq 0 ]; then
    grep -q 'id="regions"' "$out/dom.html" || { echo "report-check: decision regions missing" >&2; status=1; }
fi
cells=$(grep -o 'class="cell"' "$out/dom.html" | wc -l)
polylines=$(grep -o '<polyline' "$out/dom.html" | wc -l)
[ "$cells" -gt 0 ] && [ "$polylines" -ge 2 ] || { echo "report-check: figures are empty ($cells heat-map cells, $polylines curves)" >&2; status=1; }
if grep -Eq 'https?://|<script|src=' "$report"; then echo "report-check: the report references something external" >&2; status=1; fi
[ $status -eq 0 ] && echo "report-check: OK — $cells heat-map cells, $polylines curves; screenshot $out/report.png"
exit $status
