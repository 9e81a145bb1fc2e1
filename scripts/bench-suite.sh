#!/usr/bin/env bash
# Wall time of the whole conformance suite in release mode against the embedded emulator.
# Targets on a 2-core machine: direct buyer under 15 s, browser buyer under 60 s. Usage:
#   scripts/bench-suite.sh [RUNS] [direct|browser]   (default: 5 runs, direct; prints each and the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
buyer="${2:-direct}"
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/apay-conformance"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
times=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$bin" run --buyer "$buyer" --quiet --report-dir "$out/reports" >/dev/null 2>"$out/stderr" || { cat "$out/stderr"; exit 1; }
  end=$(date +%s.%N)
  t=$(awk "BEGIN { print $end - $start }")
  times+=("$t")
  printf 'run %d: %.2f s  %s\n' "$i" "$t" "$(tail -1 "$out/stderr")"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
printf 'median wall time over %d runs, %s buyer: %.2f s (%s cores)\n' "$runs" "$buyer" "$median" "$(nproc)"
