#!/usr/bin/env bash
# Throughput of the client port with h2load (Debian's nghttp2-client):
# Diagnostics.Echo, a no-op RPC, over gRPC (the unary fast path) and over
# Connect JSON on h2c, 100 requests in flight (10 connections x 10 streams).
# A bare node:http2 handler (bench/rpc-raw-h2-server.ts) is measured beside
# them as the ceiling; the three cases are interleaved round by round so that
# load from other processes hits them alike, and the ratios stay readable
# when absolute figures are noisy. Prints every run and the median of each
# case. A benchmark, not a test.
#
# Usage: bench/client-server.bench.sh [port]   (default 40151; the baseline uses port+1)
# Env:   REQUESTS (default 20000), CLIENTS (10), STREAMS (10), RUNS (3)
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
port="${1:-40151}"
raw_port="$((port + 1))"
requests="${REQUESTS:-20000}"
clients="${CLIENTS:-10}"
streams="${STREAMS:-10}"
runs="${RUNS:-3}"

command -v h2load >/dev/null || { echo "h2load not found: apt-get install nghttp2-client" >&2; exit 1; }

work="$(mktemp -d)"
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# EchoRequest{payload: 32 bytes} = 0x0a 0x20 + payload; gRPC frame = flag 0, u32 length 34, message.
payload="0123456789abcdef0123456789abcdef"
{ printf '\x00\x00\x00\x00\x22\x0a\x20'; printf '%s' "$payload"; } > "$work/echo.grpc"
printf '{"payload":"%s"}' "$(printf '%s' "$payload" | base64 -w0)" > "$work/echo.json"

# Starts `bun <script> <port>` in the background and waits for its "listening" line.
start_server() {
  local script="$1" server_port="$2" log="$work/$(basename "$1").log"
  bun "$script" "$server_port" > "$log" 2>&1 &
  server_pids+=("$!")
  for _ in $(seq 1 100); do
    grep -q listening "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$script did not start:" >&2
  cat "$log" >&2
  exit 1
}

echo_path="/raftkv.v1.Diagnostics/Echo"
grpc_args=(-d "$work/echo.grpc" -H 'content-type: application/grpc' -H 'te: trailers')
json_args=(-d "$work/echo.json" -H 'content-type: application/json')
labels=("raw node:http2 (ceiling)" "gRPC Echo (fast path)" "Connect JSON Echo (h2c)")

# One h2load run of case $1 with $2 requests; prints req/s, fails loudly on any failed request.
run_case() {
  local case_index="$1" n="$2" out failed
  case "$case_index" in
    0) out="$(h2load -n "$n" -c "$clients" -m "$streams" "${grpc_args[@]}" "http://127.0.0.1:$raw_port$echo_path")" ;;
    1) out="$(h2load -n "$n" -c "$clients" -m "$streams" "${grpc_args[@]}" "http://127.0.0.1:$port$echo_path")" ;;
    2) out="$(h2load -n "$n" -c "$clients" -m "$streams" "${json_args[@]}" "http://127.0.0.1:$port$echo_path")" ;;
    *) echo "unknown case $case_index" >&2; exit 1 ;;
  esac
  failed="$(sed -n 's/.* succeeded, \([0-9]*\) failed.*/\1/p' <<<"$out")"
  if [[ "$failed" != "0" ]]; then echo "h2load reported failures:" >&2; echo "$out" >&2; exit 1; fi
  sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out"
}

start_server bench/rpc-raw-h2-server.ts "$raw_port"
start_server bench/rpc-echo-server.ts "$port"

echo "h2load -n $requests -c $clients -m $streams, $runs interleaved rounds; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for case_index in 0 1 2; do run_case "$case_index" 2000 >/dev/null; done # warm-up: JIT, connections

declare -a results0 results1 results2
for round in $(seq 1 "$runs"); do
  for case_index in 0 1 2; do
    value="$(run_case "$case_index" "$requests")"
    eval "results$case_index+=(\"\$value\")"
    echo "  round $round: ${labels[$case_index]}: $value req/s"
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ceiling="$(median "${results0[@]}")"
for case_index in 0 1 2; do
  eval "values=(\"\${results$case_index[@]}\")"
  m="$(median "${values[@]}")"
  printf '%-26s median %9s req/s  (%3d%% of ceiling; runs: %s)\n' \
    "${labels[$case_index]}" "$m" "$(awk -v a="$m" -v b="$ceiling" 'BEGIN {printf "%d", 100 * a / b}')" "${values[*]}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
