#!/bin/sh
# Runs every test: the cmocka unit tests of the release and the ASan/UBSan
# builds, a 5-second libFuzzer smoke run of every tests/fuzz/fuzz_*.c target
# (build-fuzz/, built by make test or make fuzz-build; each counted like a
# unit binary; only when no --build is given, --no-fuzz skips it), then the
# end-to-end tests (tests/e2e/test_*.py, stdlib Python
# against real bcoin and redis-server) with the ASan/UBSan binaries.
# Ends with "N passed, N failed" and exits non-zero when anything failed.
#   tests/run.sh [--unit-only] [--e2e-only] [--no-fuzz] [--build DIR]... [-k PATTERN]
set -u
cd "$(dirname "$0")/.."

builds="" unit=1 e2e=1 fuzz=1 pattern=""
while [ $# -gt 0 ]; do
    case "$1" in
        --unit-only) e2e=0 ;;
        --e2e-only) unit=0 ;;
        --no-fuzz) fuzz=0 ;;
        --build) shift; builds="$builds $1"; fuzz=0 ;;
        -k) shift; pattern="$1" ;;
        *) echo "usage: $0 [--unit-only] [--e2e-only] [--no-fuzz] [--build DIR] [-k PATTERN]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$builds" ] || builds="build build-asan"

passed=0 failed=0 failures=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
logdir=${HF_TEST_LOGS:-/tmp/headframe-tests}
mkdir -p "$logdir"

record() { # name rc
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1)); echo "PASS $1"
    else
        failed=$((failed + 1)); failures="$failures $1"; echo "FAIL $1 (exit $2)"
    fi
}

if [ $unit -eq 1 ]; then
    for b in $builds; do
        for t in "$b"/tests/test_*; do
            [ -x "$t" ] || continue
            name="$b/$(basename "$t")"
            case "$name" in *"$pattern"*) ;; *) continue ;; esac
            log="$logdir/$(echo "$name" | tr / _).log"
            "$t" >"$log" 2>&1
            rc=$?
            if [ $rc -eq 0 ] && grep -q '^\[  SKIPPED \]' "$log"; then
                echo "    $name: a test was skipped: counted as a failure"
                rc=1
            fi
            grep -E '^\[  (PASSED|FAILED) \]|^\[  ERROR   \]' "$log" | sed "s|^|    $name: |"
            [ $rc -eq 0 ] || tail -30 "$log" | sed 's/^/    | /'
            record "$name" $rc
        done
    done
fi

# libFuzzer smoke: every target 5 s on its seed corpus; a crash, leak,
# UB report or timeout fails it (tests/fuzz/run.sh keeps the input).
if [ $unit -eq 1 ] && [ $fuzz -eq 1 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        [ -f "$f" ] || continue
        name="build-fuzz/$(basename "$f" .c)"
        case "$name" in *"$pattern"*) ;; *) continue ;; esac
        log="$logdir/$(echo "$name" | tr / _).log"
        HF_FUZZ_WORK="$logdir/fuzz" ./tests/fuzz/run.sh -t 5 "$(basename "$f" .c)" >"$log" 2>&1
        rc=$?
        sed 's/^/    /' "$log"
        record "$name" $rc
    done
fi

if [ $e2e -eq 1 ]; then
    ebin=${HF_BIN:-build-asan/bin}
    [ -d "$ebin" ] || ebin=build/bin
    for t in tests/e2e/test_*.py; do
        [ -f "$t" ] || continue
        case "$t" in *"$pattern"*) ;; *) continue ;; esac
        log="$logdir/$(basename "$t" .py).log"
        echo "RUN  $t (binaries: $ebin, log: $log)"
        HF_BIN="$ebin" timeout 900 python3 "$t" >"$log" 2>&1
        rc=$?
        grep -E ' \.\.\. (ok|FAIL|ERROR|skipped)|^(FAIL|ERROR):|^Ran ' "$log" | sed 's/^/    /'
        # A skipped check is not a pass.
        if [ $rc -eq 0 ] && grep -q 'skipped=' "$log"; then
            echo "    a test was skipped: counted as a failure"
            rc=1
        fi
        [ $rc -eq 0 ] || tail -40 "$log" | sed 's/^/    | /'
        record "$t" $rc
    done
fi

[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
