#!/usr/bin/env bash
# Runs the official Amazon Pay Node SDK (unmodified) against `apay-conformance serve`.
#
#   tests/node-sdk/run.sh [path/to/apay-conformance]
#
# The binary defaults to target/debug/apay-conformance under the repo root; this script builds
# nothing. Works from any current directory. Exits with flow.js's status (non-zero if the
# server cannot be started or does not announce its ports).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

BIN="${1:-$REPO/target/debug/apay-conformance}"
case "$BIN" in
  /*) ;;
  *) BIN="$(pwd)/$BIN" ;;
esac
if [[ ! -x "$BIN" ]]; then
  echo "run.sh: $BIN is not an executable (build it first: cargo build)" >&2
  exit 2
fi

KEY_ID="SANDBOX-AEXAMPLEVECTORKEY0000000"
PUB_KEY="$REPO/tests/fixtures/vectors/test-key.pub.pem"
PRIV_KEY="$REPO/tests/fixtures/vectors/test-key.pem"

if [[ ! -d "$HERE/node_modules" ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/apay-node-sdk.XXXXXX")"
SERVER_OUT="$WORK/serve.out"
SERVER_ERR="$WORK/serve.err"
SERVER_PID=""

cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump_server_output() {
  echo "--- serve stdout ---" >&2
  cat "$SERVER_OUT" >&2 || true
  echo "--- serve stderr ---" >&2
  cat "$SERVER_ERR" >&2 || true
}

"$BIN" serve --host 127.0.0.1 --port 0 --tls-port 0 \
  --public-key "$KEY_ID=$PUB_KEY" >"$SERVER_OUT" 2>"$SERVER_ERR" &
SERVER_PID=$!

HTTP_URL=""
TLS_PORT=""
deadline=$((SECONDS + 20))
while :; do
  HTTP_URL="$(grep -oE '^listening http://127\.0\.0\.1:[0-9]+' "$SERVER_OUT" | head -n1 | sed 's/^listening //' || true)"
  TLS_PORT="$(grep -oE '^listening https://127\.0\.0\.1:[0-9]+' "$SERVER_OUT" | head -n1 | sed 's/^.*://' || true)"
  if [[ -n "$HTTP_URL" && -n "$TLS_PORT" ]]; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: serve exited before announcing its ports" >&2
    dump_server_output
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "run.sh: serve did not print 'listening http://127.0.0.1:PORT' and 'listening https://127.0.0.1:PORT' within 20 s" >&2
    dump_server_output
    exit 1
  fi
  sleep 0.1
done

echo "emulator: $HTTP_URL (control API), https://127.0.0.1:$TLS_PORT (SDK)"

# axios (inside the SDK) honours *_PROXY variables; make sure loopback traffic never goes to a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

set +e
(cd "$HERE" && \
  EMULATOR_TLS_PORT="$TLS_PORT" \
  EMULATOR_HTTP_URL="$HTTP_URL" \
  AMAZON_PAY_PUBLIC_KEY_ID="$KEY_ID" \
  AMAZON_PAY_PRIVATE_KEY="$PRIV_KEY" \
  node flow.js)
status=$?
set -e

if [[ $status -ne 0 ]]; then
  echo "run.sh: flow.js failed with status $status; server output follows" >&2
  dump_server_output
fi
exit "$status"
