#!/bin/sh
# make bench: runs every benchmark and prints its figures. C benchmarks are
# bench/bench_*.c (built into build/bench/), scripted ones bench/bench_*.py
# (they start real processes from build/bin). Nothing here is a pass/fail
# test; the figures go into docs/STATUS.md by hand. Everything printed is
# also written to $HF_BENCH_RESULTS/make-bench.txt (default
# build/bench/results/); scripted benches may write their own files there
# too (bench_agent.py: bench_agent.json).
set -u
cd "$(dirname "$0")/.."
HF_BENCH_RESULTS=${HF_BENCH_RESULTS:-build/bench/results}
export HF_BENCH_RESULTS
mkdir -p "$HF_BENCH_RESULTS"

run_all() {
    echo "== make bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "== openssl speed -evp sha256 (64-byte blocks, 1 s), for comparison"
    openssl speed -seconds 1 -bytes 64 -evp sha256 2>/dev/null | tail -1
    for b in build/bench/bench_*; do
        [ -x "$b" ] || continue
        echo "== $(basename "$b")"
        "$b" || echo "   (exit $?)"
    done
    for b in bench/bench_*.py; do
        [ -f "$b" ] || continue
        echo "== $(basename "$b")"
        HF_BIN=build/bin python3 "$b" || echo "   (exit $?)"
    done
}

run_all 2>&1 | tee "$HF_BENCH_RESULTS/make-bench.txt"
