#!/usr/bin/env bash
# Checks the t-SNE scatter plot as a person would: renders it in headless Chromium, fails on console
# errors, checks the rendered DOM (one path per class, the legend), and leaves a PNG screenshot.
#
#   bash scripts/tsne-check.sh [PLOT.html]
#
# Without an argument it embeds Fashion-MNIST's 10,000 test images (about 15 s on two cores) and checks
# that plot. Output: .build/tsne-check/{tsne.html,tsne.csv,tsne.png,dom.html}
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/tsne-check
mkdir -p "$out"

bash scripts/apt-ensure.sh chromium
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "tsne-check: chromium not found after install" >&2; exit 1; }

if [ $# -ge 1 ]; then
    plot=$(realpath "$1")
    classes_expected=""
else
    swift build -c release --product circuits
    .build/release/circuits tsne --data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
        --out "$out/tsne.csv" --plot "$out/tsne.html" --title "Fashion-MNIST test set (10,000 images), t-SNE" >"$out/tsne.log" 2>&1
    plot=$(realpath "$out/tsne.html")
    classes_expected=10
    rows=$(($(wc -l <"$out/tsne.csv") - 1))
    [ "$rows" -eq 10000 ] || { echo "tsne-check: the CSV has $rows rows, expected 10000" >&2; exit 1; }
fi

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$out/profile")
start=$(date +%s.%N)
"$browser" "${flags[@]}" --window-size=1300,1000 --screenshot="$out/tsne.png" \
    --enable-logging=stderr --v=0 "file://$plot" 2>"$out/chromium.log" || true
render=$(echo "$(date +%s.%N) - $start" | bc)
"$browser" "${flags[@]}" --dump-dom "file://$plot" >"$out/dom.html" 2>/dev/null

status=0
if grep -E "CONSOLE|Uncaught|ERR_|Failed to load" "$out/chromium.log" | grep -v "dbus\|DevTools\|sandbox\|gpu\|GPU" >"$out/errors.log"; then
    echo "tsne-check: the page logged errors:" >&2; cat "$out/errors.log" >&2; status=1
fi
[ -s "$out/tsne.png" ] || { echo "tsne-check: no screenshot was written" >&2; status=1; }
grep -q 'id="tsne-scatter"' "$out/dom.html" || { echo "tsne-check: the scatter plot is missing from the rendered page" >&2; status=1; }
paths=$(grep -o 'class="points"' "$out/dom.html" | wc -l)
[ "$paths" -ge 1 ] || { echo "tsne-check: no points drawn" >&2; status=1; }
if [ -n "$classes_expected" ]; then
    [ "$paths" -eq "$classes_expected" ] || { echo "tsne-check: $paths point paths, expected one per class ($classes_expected)" >&2; status=1; }
    legend=$(grep -o '<li><span class="swatch"' "$out/dom.html" | wc -l)
    [ "$legend" -eq "$classes_expected" ] || { echo "tsne-check: $legend legend entries, expected $classes_expected" >&2; status=1; }
fi
if grep -Eq 'https?://|<script|src=' "$plot"; then echo "tsne-check: the plot references something external" >&2; status=1; fi
size=$(stat -c %s "$plot")
[ $status -eq 0 ] && echo "tsne-check: OK — $paths point paths, $size bytes, rendered and screenshotted in ${render}s; screenshot $out/tsne.png"
exit $status
