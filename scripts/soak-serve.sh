#!/usr/bin/env bash
# Memory of a long-running `serve` under traffic: starts `serve` (release build) with one merchant,
# sends COUNT signed Get Charge requests (examples/soak_serve.rs, loopback only), and prints the
# server's resident memory before and after. The traffic record, the event log and the idempotency
# keys are bounded per merchant (`--record-cap`), so memory levels off instead of growing with traffic.
#   scripts/soak-serve.sh [COUNT] [RECORD_CAP]   (default: 46000 requests, cap 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-46000}"
cap="${2:-1000}"
cargo build --release --locked --quiet --bin apay-conformance --example soak_serve
target="${CARGO_TARGET_DIR:-target}/release"
key_id="SANDBOX-AEXAMPLEVECTORKEY0000000"
out="$(mktemp -d)"
"$target/apay-conformance" serve --port 0 --tls-port 0 --record-cap "$cap" \
  --public-key "$key_id=tests/fixtures/vectors/test-key.pub.pem" >"$out/serve.out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do grep -q '^listening http' "$out/serve.out" && break; sleep 0.1; done
url="$(grep -oE '^listening http://[0-9.:]+' "$out/serve.out" | sed 's/^listening //')"
rss() { awk '/^VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$pid/status"; }
echo "serve at $url, record cap $cap: RSS before $(rss)"
"$target/examples/soak_serve" "$url" "$key_id" tests/fixtures/vectors/test-key.pem "$count" 8
echo "RSS after $count requests: $(rss)"
"$target/examples/soak_serve" "$url" "$key_id" tests/fixtures/vectors/test-key.pem "$count" 8 >/dev/null
echo "RSS after $((count * 2)) requests: $(rss)"
