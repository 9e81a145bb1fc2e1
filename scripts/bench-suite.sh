#!/usr/bin/env bash
# Wall time of the whole conformance suite in release mode against the embedded emulator, with
# the direct buyer (target of issue 5: under 15 s on a 2-core machine). Usage:
#   scripts/bench-suite.sh [RUNS]      (default 5 runs; prints each and the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/apay-conformance"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
times=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$bin" run --buyer direct --quiet --report-dir "$out/reports" >/dev/null 2>"$out/stderr" || { cat "$out/stderr"; exit 1; }
  end=$(date +%s.%N)
  t=$(awk "BEGIN { print $end - $start }")
  times+=("$t")
  printf 'run %d: %.2f s  %s\n' "$i" "$t" "$(tail -1 "$out/stderr")"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
printf 'median wall time over %d runs: %.2f s (%s cores)\n' "$runs" "$median" "$(nproc)"
