#!/usr/bin/env bash
# Runs a libFuzzer harness for a bounded time: scripts/fuzz.sh NAME SECONDS
#
#   NAME     a harness scripts/fuzz/NAME.swift exporting
#              @_cdecl("LLVMFuzzerTestOneInput")
#              public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt
#   SECONDS  how long to fuzz (libFuzzer's -max_total_time)
#
# The harness declares what it needs in header comments (each may appear more than once):
#   // fuzz-modules: Compression ImageCodecs        modules from Sources/<Module>/, in dependency order
#   // fuzz-seeds: Tests/ImageCodecsTests/Fixtures  directories (package-relative) of seed inputs
#   // fuzz-max-len: 65536                          optional: largest input libFuzzer generates
#   // fuzz-dict: scripts/fuzz/NAME.dict              optional: a libFuzzer dictionary (tokens)
#
# FUZZ_FRESH=1 starts from an empty corpus (the seeds only), for comparing runs; otherwise the
# corpus grows across runs.
#
# Each module is compiled with `swiftc -sanitize=fuzzer,address` (coverage + AddressSanitizer)
# into one object and a .swiftmodule under .build-fuzz/NAME/modules, then the harness is
# compiled, with the helpers every harness shares (scripts/fuzz/support/), against them and
# linked into .build-fuzz/NAME/fuzzer. The fuzzer runs single-threaded
# with -rss_limit_mb=2048 -timeout=10, keeping its growing corpus in .build-fuzz/NAME/corpus
# (reused by later runs) and reading the seed directories as extra corpora.
#
# Prints the number of executions, the coverage (libFuzzer's "cov": edges reached, once the
# seeds are loaded and at the end) and the result. Exits 0 if nothing was found; otherwise
# non-zero, with the offending input kept in .build-fuzz/NAME/artifacts/ (crash-*, leak-*,
# timeout-*, oom-*) and the command that reproduces it. The full log is .build-fuzz/NAME/fuzz.log.
#
# Example: scripts/fuzz.sh Inflate 600
set -euo pipefail

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
    sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
name="$1"
seconds="$2"
cd "$(dirname "$0")/.."
harness="scripts/fuzz/$name.swift"
[ -f "$harness" ] || { echo "fuzz.sh: no harness $harness" >&2; exit 2; }

header_values() {  # all words after "// $1:" lines in the harness
    { grep -E "^// $1:" "$harness" || true; } | sed -E "s|^// $1:||" | tr -s ' \t' '\n' | sed '/^$/d'
}
modules=$(header_values fuzz-modules)
seed_dirs=$(header_values fuzz-seeds)
max_len=$(header_values fuzz-max-len | head -n 1)
dict=$(header_values fuzz-dict | head -n 1)

if [ -z "$modules" ]; then
    echo "fuzz.sh: warning: $harness has no '// fuzz-modules:' header; building it alone" >&2
fi

work=".build-fuzz/$name"
module_dir="$work/modules"
if [ "${FUZZ_FRESH:-0}" = "1" ]; then rm -rf "$work/corpus"; fi
mkdir -p "$module_dir" "$work/corpus" "$work/artifacts"
# One package name for every module, as SwiftPM gives them, so `package` declarations link up.
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -package-name max_swift)

objects=()
for module in $modules; do
    sources=(Sources/"$module"/*.swift)
    [ -f "${sources[0]}" ] || { echo "fuzz.sh: module $module has no Sources/$module/*.swift" >&2; exit 2; }
    # Sources SwiftPM generates for a module with resources (embedded files, bundle accessors),
    # taken from the last `swift build`.
    if grep -q "name: \"$module\", resources:" Package.swift; then
        derived=(.build/debug/"$module".build/DerivedSources/*.swift)
        [ -f "${derived[0]}" ] || { echo "fuzz.sh: module $module has resources; run swift build first" >&2; exit 2; }
        sources+=("${derived[@]}")
    fi
    echo "fuzz.sh: building module $module (${#sources[@]} files)"
    swiftc "${flags[@]}" -wmo -module-name "$module" -I "$module_dir" \
        -emit-module -emit-module-path "$module_dir/$module.swiftmodule" \
        -c -o "$module_dir/$module.o" "${sources[@]}"
    objects+=("$module_dir/$module.o")
done
echo "fuzz.sh: building harness $harness"
# ld.gold's "Cannot export local symbol" warnings are harmless (see DESIGN.md).
swiftc "${flags[@]}" -module-name "${name}Fuzz" -I "$module_dir" "$harness" scripts/fuzz/support/*.swift "${objects[@]}" \
    -o "$work/fuzzer" 2> >(grep -v "Cannot export local symbol" >&2)

corpora=("$work/corpus")
for dir in $seed_dirs; do
    if [ -d "$dir" ]; then corpora+=("$dir"); else echo "fuzz.sh: seed directory $dir is missing; skipped" >&2; fi
done
options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
         -artifact_prefix="$work/artifacts/")
[ -n "$max_len" ] && options+=(-max_len="$max_len")
if [ -n "$dict" ]; then
    [ -f "$dict" ] || { echo "fuzz.sh: dictionary $dict is missing" >&2; exit 2; }
    options+=(-dict="$dict")
fi

echo "fuzz.sh: fuzzing $name for $seconds s (corpus $work/corpus, seeds: $(echo ${seed_dirs:-none}))"
status=0
started=$SECONDS
# Swift's own crash backtracer trips AddressSanitizer after a trap; libFuzzer reports the trap.
SWIFT_BACKTRACE=enable=no "$work/fuzzer" "${options[@]}" "${corpora[@]}" > "$work/fuzz.log" 2>&1 || status=$?
elapsed=$((SECONDS - started))

executions=$(grep -E "^stat::number_of_executed_units:" "$work/fuzz.log" | awk '{print $2}' | tail -n 1)
[ -n "$executions" ] || executions=$(grep -oE "^Done [0-9]+ runs" "$work/fuzz.log" | awk '{print $2}' | tail -n 1)
[ -n "$executions" ] || executions=$(grep -oE "^#[0-9]+" "$work/fuzz.log" | tr -d '#' | tail -n 1)
echo "fuzz.sh: $name: ${executions:-unknown} executions in $elapsed s, corpus $(ls "$work/corpus" | wc -l) files"
# libFuzzer's status lines: "#N INITED cov: E ft: F ..." once the corpora are loaded, then
# "#N NEW/REDUCE/pulse/DONE cov: E ft: F ..." (E: edges covered, F: features).
initial=$({ grep -E "^#[0-9]+[[:space:]]+INITED" "$work/fuzz.log" || true; } | grep -oE "cov: [0-9]+ ft: [0-9]+" | head -n 1 || true)
final=$({ grep -E "^#[0-9]+" "$work/fuzz.log" || true; } | grep -oE "cov: [0-9]+ ft: [0-9]+" | tail -n 1 || true)
echo "fuzz.sh: $name: coverage after loading the corpus: ${initial:-unknown}; at the end: ${final:-unknown}"

if [ "$status" -eq 0 ]; then
    echo "fuzz.sh: $name: no crash, leak or timeout"
    exit 0
fi
artifact=$(grep -oE "Test unit written to [^ ]+" "$work/fuzz.log" | tail -n 1 | sed 's/Test unit written to //')
kind="failure"
case "$(basename "${artifact:-none}")" in
    crash-*) kind="crash" ;; leak-*) kind="leak" ;; timeout-*) kind="timeout" ;; oom-*) kind="out-of-memory" ;;
esac
echo "fuzz.sh: $name: FOUND a $kind (libFuzzer exit status $status)"
grep -E "^==[0-9]+==ERROR|^SUMMARY|Fatal error|fault|ERROR: libFuzzer" "$work/fuzz.log" | head -n 5 || true
if [ -n "$artifact" ]; then
    echo "fuzz.sh: input kept at $artifact; reproduce with: SWIFT_BACKTRACE=enable=no $work/fuzzer $artifact"
fi
echo "fuzz.sh: full log: $work/fuzz.log"
exit 1
