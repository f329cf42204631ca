#!/usr/bin/env bash
# Starts the compiled executable, writes and reads a key with its own CLI and
# with curl, restarts it, reads again, and stops it by PID.
set -euo pipefail
bin="$PWD/dist/raftkv"
dir=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
endpoint="127.0.0.1:$port"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

start() {
  "$bin" serve --data-dir "$dir/data" --listen "$endpoint" --raft-listen 127.0.0.1:0 --log-level warn &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://$endpoint/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "smoke: server did not become healthy" >&2
  return 1
}

start
"$bin" put --endpoints "$endpoint" greeting hello >/dev/null
[ "$("$bin" get --endpoints "$endpoint" greeting)" = "hello" ] || { echo "smoke: get after put failed" >&2; exit 1; }
curl -fsS -X PUT --data-binary 'from curl' "http://$endpoint/v1/kv/dir%2Fkey" >/dev/null
[ "$(curl -fsS "http://$endpoint/v1/kv/dir%2Fkey")" = "from curl" ] || { echo "smoke: REST round trip failed" >&2; exit 1; }
curl -fsS "http://$endpoint/readyz" | grep -q '"ready":true' || { echo "smoke: /readyz not ready" >&2; exit 1; }
# Read it whole first: grep -q stops at the first match and, with pipefail, curl's failed write would fail the step.
metrics=$(curl -fsS "http://$endpoint/metrics")
grep -q '^raftkv_raft_applied_index ' <<<"$metrics" || { echo "smoke: /metrics lacks raftkv_raft_applied_index" >&2; exit 1; }
"$bin" snapshot save --endpoints "$endpoint" "$dir/backup" >/dev/null || { echo "smoke: snapshot save failed" >&2; exit 1; }
"$bin" version | grep -q '^git commit: [0-9a-f]' || { echo "smoke: version has no git commit" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid" || true; pid=""
start
[ "$("$bin" get --endpoints "$endpoint" greeting --protocol connect-json)" = "hello" ] || { echo "smoke: data lost across restart" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid" || true; pid=""
echo "smoke: ok (put, get, REST, readyz, metrics, snapshot save, version, restart)"
