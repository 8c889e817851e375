#!/bin/sh
# Runs libFuzzer targets (make fuzz-build builds them into build-fuzz/fuzz/)
# each for SECONDS on a scratch copy of its seed corpus
# tests/fuzz/corpus/<name>/ (the seeds are never modified), and prints one
# line per target: execs/s, total execs, coverage (cov/ft of libFuzzer's
# last status line) or FAIL with the crashing input kept.
#   tests/fuzz/run.sh [-t SECONDS] [-b BUILDDIR] [NAME...]
# Exits non-zero when a target crashed, leaked, timed out or is missing.
set -u
cd "$(dirname "$0")/../.."

secs=60 bdir=build-fuzz
while [ $# -gt 0 ]; do
    case "$1" in
        -t) shift; secs="$1" ;;
        -b) shift; bdir="$1" ;;
        -*) echo "usage: $0 [-t SECONDS] [-b BUILDDIR] [NAME...]" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
names="$*"
if [ -z "$names" ]; then
    for f in tests/fuzz/fuzz_*.c; do names="$names $(basename "$f" .c)"; done
fi

work=${HF_FUZZ_WORK:-/tmp/headframe-fuzz}
mkdir -p "$work"
export ASAN_OPTIONS="${HF_FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for name in $names; do
    bin="$bdir/fuzz/$name"
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: $bin missing (make fuzz-build)"
        failed=$((failed + 1)); continue
    fi
    short=${name#fuzz_}
    scratch="$work/$name.corpus" log="$work/$name.log" art="$work/$name.artifacts/"
    rm -rf "$scratch"; mkdir -p "$scratch"
    [ -d "tests/fuzz/corpus/$short" ] && cp "tests/fuzz/corpus/$short"/* "$scratch"/ 2>/dev/null
    rm -rf "$art"; mkdir -p "$art"
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$art" "$scratch" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        printf 'PASS %-20s %8s execs/s %10s execs  %s  (%s s, %s inputs)\n' "$name" \
            "${rate:-?}" "${execs:-?}" "${cov:-cov: ?}" "$secs" "$(ls "$scratch" | wc -l)"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $rc, log $log; input: $(ls -d "$art"* 2>/dev/null | head -1))"
        grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$log" | grep -v 'fuzzer::' | head -25 | sed 's/^/    | /'
    fi
done
[ $failed -eq 0 ]
