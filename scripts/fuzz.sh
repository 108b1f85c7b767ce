#!/usr/bin/env bash
# make fuzz — builds every fuzz target under Fuzz/ with libFuzzer + AddressSanitizer and runs it.
#
#   scripts/fuzz.sh [TARGET...]        (default: every Fuzz/*/ directory)
#   FUZZ_RUNS=200000 scripts/fuzz.sh   (runs per target, default 50000)
#
# A fuzz target is a directory Fuzz/<name>/ holding
#   entry.swift   defines @_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_:_:) -> Int32
#   sources.txt   one path glob per line, relative to the repository root ('#' starts a comment): the
#                 Swift sources compiled together with entry.swift as ONE module
#   corpus/       small valid seed inputs
#   dict          (optional) a libFuzzer dictionary of the format's tokens
#   regressions   (optional) one line: where crashing inputs are copied; by default
#                 Tests/<M>Tests/Regressions/ for the first module M other than Tensor in sources.txt
#
# Why one module rather than linking the SwiftPM-built libraries: SwiftPM cannot add -sanitize=fuzzer to
# some targets only, and every source of a fuzzed module must be built with sanitizer coverage anyway.
# Compiling the sources as one module breaks their `import Tensor` lines (a module cannot import itself,
# and `@_exported import Tensor` of itself is an error), so the sources are copied to a scratch directory
# with those lines removed; the files in Sources/ stay untouched. The module is named `Tensor` so that
# module selectors in the sources (`Tensor::TensorError`) still resolve.
#
# Each run works on a copy of the corpus (the committed seeds stay small). A crash, leak, timeout or
# out-of-memory stops the target; its input is copied to the regressions folder as <target>-<kind>-<sha1>,
# where the test suite replays it, and the script exits non-zero after running the remaining targets.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${FUZZ_RUNS:-50000}
out=.build/fuzz
mkdir -p "$out"

swiftc=${SWIFTC:-swiftc}
blas_inc=/usr/include/x86_64-linux-gnu/openblas-pthread
blas_lib=/usr/lib/x86_64-linux-gnu/openblas-pthread

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for d in Fuzz/*/; do targets+=("$(basename "$d")"); done
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz: no targets under Fuzz/" >&2; exit 1; }

failed=()
summary=()
for name in "${targets[@]}"; do
    dir=Fuzz/$name
    if [[ ! -f $dir/entry.swift || ! -f $dir/sources.txt ]]; then
        echo "fuzz: $dir needs entry.swift and sources.txt" >&2
        failed+=("$name (not a fuzz target)")
        continue
    fi
    work=$out/$name.work
    rm -rf "$work"
    mkdir -p "$work/src" "$work/corpus" "$work/artifacts"

    # Gather the sources; each copy is named after its module directory too, since two modules may
    # hold files with the same name.
    module_for_regressions=""
    missing=0
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%%#*}
        line=$(echo "$line" | xargs)
        [[ -z $line ]] && continue
        matched=0
        for f in $root/$line; do
            [[ -f $f ]] || continue
            matched=1
            rel=${f#"$root"/}
            module=$(echo "$rel" | sed -n 's|^Sources/\([^/]*\)/.*|\1|p')
            if [[ -z $module_for_regressions && -n $module && $module != Tensor ]]; then module_for_regressions=$module; fi
            sed -E '/^[[:space:]]*(@_exported[[:space:]]+)?import[[:space:]]+Tensor[[:space:]]*$/d' "$f" \
                > "$work/src/$(echo "$rel" | tr '/' '_')"
        done
        if [[ $matched -eq 0 ]]; then echo "fuzz: $dir/sources.txt: '$line' matches no file" >&2; missing=1; fi
    done < "$dir/sources.txt"
    if [[ $missing -ne 0 ]]; then failed+=("$name (sources.txt)"); continue; fi
    cp "$dir/entry.swift" "$work/src/entry.swift"

    if [[ -f $dir/regressions ]]; then
        regressions=$(head -n1 "$dir/regressions" | xargs)
    elif [[ -n $module_for_regressions ]]; then
        regressions=Tests/${module_for_regressions}Tests/Regressions
    else
        regressions=Tests/Fuzz/$name/Regressions
    fi

    echo "fuzz: building $name ($(ls "$work/src" | wc -l) files)"
    if ! "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g \
        -module-name Tensor -package-name Circuits \
        -I Sources/CBLAS -I Sources/CZlib -Xcc -I"$blas_inc" -L"$blas_lib" -lopenblas -llapacke -lz \
        "$work"/src/*.swift -o "$out/$name" 2> "$work/build.log"; then
        cat "$work/build.log" >&2
        failed+=("$name (build)")
        continue
    fi
    # Only Swift diagnostics: ld.gold chatters about ASan symbols it cannot export, which is harmless.
    grep -E -A3 "\.swift:[0-9]+:[0-9]+: warning:" "$work/build.log" | head -40 >&2

    [[ -d $dir/corpus ]] && cp -R "$dir/corpus/." "$work/corpus/"
    dict_flag=()
    [[ -f $dir/dict ]] && dict_flag=(-dict="$dir/dict")

    echo "fuzz: running $name for $runs runs (log: $work/fuzz.log)"
    start=$(date +%s)
    # Swift's own crash backtracer reads foreign memory and trips ASan itself; libFuzzer and ASan
    # already print the stack of a crash, so it is turned off.
    SWIFT_BACKTRACE=enable=no "$out/$name" -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "${dict_flag[@]}" "$work/corpus" > "$work/fuzz.log" 2>&1
    status=$?
    seconds=$(( $(date +%s) - start ))
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n1)

    found=()
    for a in "$work"/artifacts/{crash,leak,timeout,oom}-*; do
        [[ -f $a ]] || continue
        mkdir -p "$regressions"
        dest=$regressions/$name-$(basename "$a")
        cp "$a" "$dest"
        found+=("$dest")
    done
    if [[ $status -ne 0 || ${#found[@]} -gt 0 ]]; then
        grep -E -B2 -A30 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|deadly signal' "$work/fuzz.log" | head -60 >&2
        for f in "${found[@]}"; do echo "fuzz: $name: saved failing input $f (replay: $out/$name $f)" >&2; done
        failed+=("$name (exit $status, ${#found[@]} input(s) saved)")
        summary+=("$name: FAILED after ${executed:-?} runs in ${seconds}s")
    else
        summary+=("$name: ok, ${executed:-?} runs in ${seconds}s, no crash, leak or timeout")
    fi
done

printf 'fuzz: %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
