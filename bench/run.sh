#!/bin/sh
# make bench: runs every benchmark and prints its figures. C benchmarks are
# bench/bench_*.c (built into build/bench/), scripted ones bench/bench_*.py
# (they start real processes from build/bin). Nothing here is a pass/fail
# test; the figures go into docs/STATUS.md by hand.
set -u
cd "$(dirname "$0")/.."
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
