#!/usr/bin/env bash
# make fuzz — builds every fuzz target under Fuzz/ with libFuzzer + AddressSanitizer and runs it.
#
#   scripts/fuzz.sh [TARGET...]        (default: every Fuzz/*/ directory)
#   FUZZ_RUNS=200000 scripts/fuzz.sh   (inputs per target, default 50000)
#   scripts/fuzz.sh --smoke            (make test: 3000 inputs per target, at most 20 s each)
#
# A fuzz target is a directory Fuzz/<name>/ holding
#   entry.swift   defines @_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_:_:) -> Int32 and imports the
#                 package modules it fuzzes (`@testable import` works: modules are built with testing on)
#   modules.txt   the package modules entry.swift imports, one per line ('#' starts a comment); the
#                 modules they depend on are added from Package.swift
#   corpus/       small valid seed inputs
#   dict          (optional) a libFuzzer dictionary of the format's tokens
#   regressions   (optional) one line: where crashing inputs are copied; by default
#                 Tests/<M>Tests/Regressions/ for the first module M in modules.txt
#
# Every package module is compiled as its own module, in dependency order, as SwiftPM builds it — but
# with -sanitize=fuzzer,address, which SwiftPM cannot apply to some targets only, so that every source
# of a fuzzed module carries coverage and ASan checks. C targets (CKernels) are compiled with the
# toolchain's clang and -fsanitize=fuzzer-no-link,address and imported through a generated module map;
# system-library targets (CBLAS, CZlib, CMPI) through their own module maps. Compiled modules are
# cached in .build/fuzz/modules/ under a hash of their sources, flags and dependencies, so a second run
# (make test runs this script every time) compiles nothing.
#
# Each run works on a copy of the corpus (the committed seeds stay small). A crash, leak, timeout or
# out-of-memory stops the target; its input is copied to the regressions folder as <target>-<kind>-<sha1>,
# where the test suite replays it, and the script exits non-zero after running the remaining targets.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
smoke=0
if [[ ${1:-} == --smoke ]]; then smoke=1; shift; fi
runs=${FUZZ_RUNS:-$([[ $smoke -eq 1 ]] && echo 3000 || echo 50000)}
max_time=$([[ $smoke -eq 1 ]] && echo 20 || echo 0)
out=.build/fuzz
mods=$out/modules
mkdir -p "$mods"

swiftc=${SWIFTC:-$(command -v swiftc)}
clang=${CLANG:-$(dirname "$swiftc")/clang}
blas_inc=/usr/include/x86_64-linux-gnu/openblas-pthread
blas_lib=/usr/lib/x86_64-linux-gnu/openblas-pthread
# Every system-library target of the package (a Sources/<name>/module.modulemap; its `link` lines are
# autolinked) with the flags of its pkg-config package; harmless for modules that do not import them.
system_flags=(-Xcc "-I$blas_inc")
link_flags=(-L"$blas_lib" -lopenblas -llapacke -lz)
for map in Sources/*/module.modulemap; do system_flags+=(-I "$(dirname "$map")"); done
for pkg in $(grep -oE 'pkgConfig: "[^"]+"' Package.swift | cut -d'"' -f2); do
    for f in $(pkg-config --cflags "$pkg" 2>/dev/null); do system_flags+=(-Xcc "$f"); done
    link_flags+=($(pkg-config --libs "$pkg" 2>/dev/null))
done
swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -enable-testing -package-name Circuits)

# --- Package.swift: each .target's dependencies (a declaration may span lines) ---
declare -A deps=()
while IFS= read -r decl; do
    name=$(sed -nE 's/^\.target\(name: "([A-Za-z0-9_]+)".*/\1/p' <<< "$decl")
    [[ -z $name ]] && continue
    deps[$name]=$(sed -nE 's/.*dependencies: \[([^]]*)\].*/\1/p' <<< "$decl" | tr -d '" ' | tr ',' ' ')
done < <(tr '\n' ' ' < Package.swift | grep -oE '\.target\(name: "[^"]+"[^)]*\)')

is_c_target() { compgen -G "Sources/$1/*.c" > /dev/null; }
is_package_module() { [[ -v deps[$1] ]]; }

# The package modules `$@` need, dependencies first (system libraries are not built).
order=()
visit() {
    local m=$1 d
    is_package_module "$m" || return 0
    [[ " ${order[*]} " == *" $m "* ]] && return 0
    for d in ${deps[$m]}; do visit "$d"; done
    order+=("$m")
}

# -I for each generated C module map.
cmap_flags() { local d; for d in "$mods"/cmaps/*/; do [[ -d $d ]] && printf -- '-I %s ' "${d%/}"; done; }

# Builds module $1 into $mods (object + swiftmodule, or objects + module map for C); echoes nothing.
declare -A key=()
build_module() {
    local m=$1 d sources h
    sources=$(ls Sources/"$m"/*.swift Sources/"$m"/*.c Sources/"$m"/include/*.h 2>/dev/null)
    h=$( { echo "$m ${swift_flags[*]} ${system_flags[*]} $swiftc"; for d in ${deps[$m]}; do echo "${key[$d]:-$d}"; done; cat $sources; } | sha1sum | cut -c1-16)
    key[$m]=$h
    if [[ -f $mods/$m.key && $(cat "$mods/$m.key") == "$h" ]]; then return 0; fi
    echo "fuzz: compiling module $m ($(echo "$sources" | wc -l) files)"
    rm -f "$mods/$m.key"
    if is_c_target "$m"; then
        mkdir -p "$mods/cmaps/$m" "$mods/$m.objects"
        rm -f "$mods/$m.objects"/*.o
        local c
        for c in Sources/"$m"/*.c; do
            "$clang" -O2 -g -fsanitize=fuzzer-no-link,address -I Sources/"$m"/include -c "$c" \
                -o "$mods/$m.objects/$(basename "$c" .c).o" || return 1
        done
        printf 'module %s {\n    umbrella "%s"\n    export *\n}\n' "$m" "$root/Sources/$m/include" > "$mods/cmaps/$m/module.modulemap"
    else
        "$swiftc" "${swift_flags[@]}" -wmo -module-name "$m" -I "$mods" $(cmap_flags) "${system_flags[@]}" \
            -emit-module -emit-module-path "$mods/$m.swiftmodule" -emit-object -o "$mods/$m.o" \
            Sources/"$m"/*.swift 2> "$mods/$m.log" || { cat "$mods/$m.log" >&2; return 1; }
    fi
    echo "$h" > "$mods/$m.key"
}

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for d in Fuzz/*/; do targets+=("$(basename "$d")"); done
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz: no targets under Fuzz/" >&2; exit 1; }

# One thread: OpenBLAS threads would only add noise to the sanitizer's view.
export OPENBLAS_NUM_THREADS=1

failed=()
summary=()
for name in "${targets[@]}"; do
    dir=Fuzz/$name
    if [[ ! -f $dir/entry.swift || ! -f $dir/modules.txt ]]; then
        echo "fuzz: $dir needs entry.swift and modules.txt" >&2
        failed+=("$name (not a fuzz target)")
        continue
    fi
    wanted=$(sed 's/#.*//' "$dir/modules.txt" | xargs)
    order=()
    bad=0
    for m in $wanted; do
        is_package_module "$m" || { echo "fuzz: $dir/modules.txt: '$m' is not a target in Package.swift" >&2; bad=1; }
        visit "$m"
    done
    [[ $bad -eq 0 ]] || { failed+=("$name (modules.txt)"); continue; }
    built=1
    for m in "${order[@]}"; do build_module "$m" || { built=0; break; }; done
    [[ $built -eq 1 ]] || { failed+=("$name (build of $m)"); continue; }

    work=$out/$name.work
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    objects=()
    for m in "${order[@]}"; do
        if is_c_target "$m"; then objects+=("$mods/$m.objects"/*.o); else objects+=("$mods/$m.o"); fi
    done
    entry_key=$( { cat "$dir/entry.swift"; for m in "${order[@]}"; do echo "${key[$m]}"; done; } | sha1sum | cut -c1-16)
    if [[ ! -x $out/$name || ! -f $out/$name.key || $(cat "$out/$name.key") != "$entry_key" ]]; then
        echo "fuzz: linking $name (${order[*]})"
        if ! "$swiftc" "${swift_flags[@]}" -module-name "Fuzz_$name" -I "$mods" $(cmap_flags) "${system_flags[@]}" \
            "$dir/entry.swift" "${objects[@]}" "${link_flags[@]}" -o "$out/$name" 2> "$work/build.log"; then
            cat "$work/build.log" >&2
            failed+=("$name (build)")
            continue
        fi
        echo "$entry_key" > "$out/$name.key"
    fi

    if [[ -f $dir/regressions ]]; then
        regressions=$(head -n1 "$dir/regressions" | xargs)
    else
        regressions=Tests/$(echo "$wanted" | cut -d' ' -f1)Tests/Regressions
    fi
    [[ -d $dir/corpus ]] && cp -R "$dir/corpus/." "$work/corpus/"
    dict_flag=()
    [[ -f $dir/dict ]] && dict_flag=(-dict="$dir/dict")

    echo "fuzz: running $name for $runs inputs (log: $work/fuzz.log)"
    start=$(date +%s)
    # Swift's own crash backtracer reads foreign memory and trips ASan itself; libFuzzer and ASan
    # already print the stack of a crash, so it is turned off.
    SWIFT_BACKTRACE=enable=no "$out/$name" -runs="$runs" -max_len=4096 -timeout=10 -max_total_time="$max_time" \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict_flag[@]}" "$work/corpus" > "$work/fuzz.log" 2>&1
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
        summary+=("$name: FAILED after ${executed:-?} inputs in ${seconds}s")
    else
        summary+=("$name: ok, ${executed:-?} inputs in ${seconds}s, no crash, leak or timeout")
    fi
done

printf 'fuzz: %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
