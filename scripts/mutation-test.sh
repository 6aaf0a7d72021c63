#!/usr/bin/env bash
# Mutation testing: do the tests notice when one line of real logic changes?
#
#   scripts/mutation-test.sh [--smoke] [--module NAME]... [--min-overall P] [--min-module P]
#
# Each module's mutations are listed in scripts/mutations/<Module>.txt (format below). For each
# one, in a scratch copy of the tree (never in this checkout), the line edit is applied, the
# package and its tests are rebuilt, and the module's own tests run (swift test --filter
# '^<Tests>\.'). A mutation is
#   killed     the tests fail (or crash, or time out): they caught the change;
#   survived   the tests pass: a bug of that shape would go unnoticed;
#   stale      its `find` text no longer occurs exactly once in the file (the code moved on:
#              update the entry); not counted;
#   invalid    the mutated code does not compile; not counted.
# Prints one line per mutation, the kill rate per module and overall, and exits non-zero when
# the overall rate is below --min-overall (default 90) or a module's below --min-module
# (default 80), or when the unmutated tree fails its own tests.
#
# Options:
#   --smoke          only the first mutation of each of three modules (a quick check of the
#                    runner itself, for CI)
#   --module NAME    only this module's list (repeatable)
#   --jobs N         build jobs (default 1, the machine is shared)
#
# A mutations file: an optional header line `tests: <TestTarget>` (default <Module>Tests), then
# entries separated by blank lines, each:
#   # what the mutation models (one or more comment lines)
#   file: Sources/<Module>/<File>.swift
#   find: <exact text, matched once in the file; leading/trailing spaces are kept after "find: ">
#   replace: <its replacement>
# Match text, not line numbers, so the list survives other edits to the files.
#
# The scratch copy lives under ${MUTATION_DIR:-/tmp/max-swift-mutation-$USER}/tree, with
# ../shared linked beside it so conformance tests run as in the checkout; its .build is kept
# between runs, so only the first run builds everything. The full log is mutation.log there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
smoke=0
jobs=1
min_overall=90
min_module=80
modules=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --module) modules+=("$2"); shift ;;
        --jobs) jobs="$2"; shift ;;
        --min-overall) min_overall="$2"; shift ;;
        --min-module) min_module="$2"; shift ;;
        -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "mutation-test.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

list_dir="$root/scripts/mutations"
if [ ${#modules[@]} -eq 0 ]; then
    for file in "$list_dir"/*.txt; do modules+=("$(basename "$file" .txt)"); done
fi
for module in "${modules[@]}"; do
    [ -f "$list_dir/$module.txt" ] || { echo "mutation-test.sh: no list $list_dir/$module.txt" >&2; exit 2; }
done
if [ "$smoke" -eq 1 ]; then modules=("${modules[@]:0:3}"); fi

work="${MUTATION_DIR:-/tmp/max-swift-mutation-${USER:-$(id -un)}}"
tree="$work/tree"
log="$work/mutation.log"
mkdir -p "$tree"
: > "$log"
# ../shared beside the scratch tree, as beside the checkout.
if [ -d "$root/../shared" ] && [ ! -e "$work/shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi

# Fresh sources in the scratch tree; its .build stays (incremental rebuilds).
find "$tree" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
tar -C "$root" --exclude=./.build --exclude='./.build-*' --exclude=./.git -cf - . | tar -C "$tree" -xf -

build() { (cd "$tree" && nice -n 10 swift build --build-tests -j "$jobs") >> "$log" 2>&1; }
# Runs a test target's tests; returns their exit status (124 on timeout). The test bundle is
# run directly with the target's test classes (what `swift test --filter '^Target\.'` runs,
# without its seconds of start-up per mutation).
run_tests() {
    local target="$1" limit="$2" bundle classes
    bundle=$(ls -d "$tree"/.build/debug/*.xctest | head -n 1)
    classes=$("$bundle" --list-tests 2>/dev/null | grep "^$target\\." | sed 's|/.*||' | sort -u | paste -sd, -)
    [ -n "$classes" ] || { echo "no tests found for $target" >> "$log"; return 1; }
    (cd "$tree" && SWIFT_BACKTRACE=enable=no timeout "$limit" nice -n 10 "$bundle" "$classes") >> "$log" 2>&1
}

# One mutations file -> records "file<TAB>find<TAB>replace<TAB>description", one per line
# (tabs and backslashes in the text are escaped by the parser below).
parse_list() {
    python3 - "$1" <<'PY'
import sys
entries, current, comment = [], {}, []
def flush():
    global current, comment
    if current:
        missing = [k for k in ("file", "find", "replace") if k not in current]
        if missing:
            sys.exit(f"{sys.argv[1]}: an entry lacks {', '.join(missing)} (near: {current})")
        entries.append((current["file"], current["find"], current["replace"], " ".join(comment) or current["find"].strip()))
    current, comment = {}, []
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line.startswith("tests:") and not entries and not current:
        continue
    if not line.strip():
        flush(); continue
    if line.startswith("#"):
        if current: flush()
        comment.append(line.lstrip("#").strip()); continue
    key, sep, value = line.partition(": ")
    if not sep or key not in ("file", "find", "replace"):
        sys.exit(f"{sys.argv[1]}: cannot read line {line!r}")
    current[key] = value
flush()
for entry in entries:
    print("\t".join(field.replace("\\", "\\\\").replace("\t", "\\t") for field in entry))
PY
}

# Applies find -> replace in the scratch copy of FILE; prints how often FIND occurred.
apply_mutation() {
    python3 - "$tree/$1" "$2" "$3" <<'PY'
import sys
path, find, replace = sys.argv[1:4]
unescape = lambda s: s.replace("\\t", "\t").replace("\\\\", "\\")
find, replace = unescape(find), unescape(replace)
try:
    text = open(path, encoding="utf-8").read()
except FileNotFoundError:
    print(0); sys.exit()
count = text.count(find)
if count == 1:
    open(path, "w", encoding="utf-8").write(text.replace(find, replace))
print(count)
PY
}

restore() { cp -p "$root/$1" "$tree/$1"; }

echo "mutation-test.sh: scratch tree $tree (log: $log)"
echo "mutation-test.sh: building the unmutated tree"
build || { echo "mutation-test.sh: the unmutated tree does not build; see $log" >&2; exit 1; }

declare -A targets limits
for module in "${modules[@]}"; do
    target=$(sed -n '1s/^tests: *//p' "$list_dir/$module.txt")
    targets[$module]="${target:-${module}Tests}"
done
# Baseline: each test target passes unmutated; its time sets the mutants' timeout.
for target in $(printf '%s\n' "${targets[@]}" | sort -u); do
    started=$SECONDS
    if ! run_tests "$target" 1800; then
        echo "mutation-test.sh: $target fails on the unmutated tree; fix that first (see $log)" >&2
        exit 1
    fi
    limits[$target]=$(( (SECONDS - started) * 3 + 60 ))
    echo "mutation-test.sh: baseline $target passes ($((SECONDS - started)) s)"
done

total_killed=0 total_counted=0
summary=()
for module in "${modules[@]}"; do
    target="${targets[$module]}"
    killed=0 counted=0 stale=0 invalid=0 index=0
    while IFS=$'\t' read -r file find replace description; do
        index=$((index + 1))
        [ "$smoke" -eq 1 ] && [ "$index" -gt 1 ] && break
        occurrences=$(apply_mutation "$file" "$find" "$replace")
        if [ "$occurrences" != "1" ]; then
            stale=$((stale + 1))
            printf '  %-9s %s #%d %s: "find" occurs %s times in %s\n' STALE "$module" "$index" "$description" "$occurrences" "$file"
            continue
        fi
        echo "== $module #$index: $description ($file)" >> "$log"
        if ! build; then
            invalid=$((invalid + 1)); result=INVALID
        else
            status=0
            run_tests "$target" "${limits[$target]}" || status=$?
            counted=$((counted + 1))
            if [ "$status" -eq 0 ]; then result=SURVIVED; else killed=$((killed + 1)); result=killed; fi
        fi
        restore "$file"
        printf '  %-9s %s #%d %s\n' "$result" "$module" "$index" "$description"
    done < <(parse_list "$list_dir/$module.txt")
    rate=$(( counted > 0 ? killed * 100 / counted : 0 ))
    summary+=("$(printf '%-14s %3d of %3d killed (%3d %%)  stale %d, invalid %d' "$module" "$killed" "$counted" "$rate" "$stale" "$invalid")")
    total_killed=$((total_killed + killed)); total_counted=$((total_counted + counted))
    if [ "$counted" -gt 0 ] && [ "$rate" -lt "$min_module" ] && [ "$smoke" -eq 0 ]; then failed_module=1; fi
done
# Leave the scratch tree unmutated and built for the next run.
build || true

echo "mutation-test.sh: kill rate per module (tests: the module's own)"
printf '  %s\n' "${summary[@]}"
overall=$(( total_counted > 0 ? total_killed * 100 / total_counted : 0 ))
echo "mutation-test.sh: overall $total_killed of $total_counted killed ($overall %)"
if [ "$smoke" -eq 1 ]; then
    [ "$total_counted" -gt 0 ] && [ "$total_killed" -eq "$total_counted" ] && exit 0
    echo "mutation-test.sh: smoke run: a mutation survived or none ran" >&2; exit 1
fi
if [ "$overall" -lt "$min_overall" ] || [ "${failed_module:-0}" -eq 1 ]; then
    echo "mutation-test.sh: below target (overall >= $min_overall %, every module >= $min_module %)" >&2
    exit 1
fi
