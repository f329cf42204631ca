#!/usr/bin/env bash
# A/B of one build or setting on a 3-node cluster: a benchmark, not a test.
#
#   bench/ab-put.sh LABEL BINARY [PORT_BASE]
#
# Starts three `BINARY serve` nodes on loopback (data under /tmp/ab-put-LABEL),
# moves leadership to n1, fills 20k keys, then runs Put at 100, 16 and 1 in
# flight (30k, 10k, 2k requests) with `BINARY bench` and prints one line:
# req/s per row and the servers' CPU per Put (utime+stime from /proc).
# Run two labels alternately, several times each, and compare medians: on a
# shared 2-core box single runs spread by ±10-15 %. Example (allocator):
#   MIMALLOC_PURGE_DELAY=100 bench/ab-put.sh purge dist/raftkv
#   bench/ab-put.sh no-purge dist/raftkv
set -euo pipefail
label=$1 binary=$2 base=${3:-53670}
dir=/tmp/ab-put-$label
rm -rf "$dir" && mkdir -p "$dir"
cluster="n1=127.0.0.1:$((base + 1)),n2=127.0.0.1:$((base + 2)),n3=127.0.0.1:$((base + 3))"
pids=()
for i in 1 2 3; do
  "$binary" serve --id "n$i" --data-dir "$dir/n$i" --listen "127.0.0.1:$((base - 10000 + i))" \
    --raft-listen "127.0.0.1:$((base + i))" --initial-cluster "$cluster" >"$dir/n$i.log" 2>&1 &
  pids+=($!)
done
stop() { kill "${pids[@]}" 2>/dev/null || true; sleep 4; kill -9 "${pids[@]}" 2>/dev/null || true; }
trap stop EXIT
endpoint=127.0.0.1:$((base - 10000 + 1))
sleep 4
"$binary" cluster transfer-leader n1 --endpoints "$endpoint" >/dev/null 2>&1 || true
"$binary" bench --endpoint "$endpoint" --workload fill --in-flight 100 --requests 20000 >"$dir/fill.txt" 2>&1
cpu_ticks() { local total=0 f; for p in "${pids[@]}"; do read -ra f <"/proc/$p/stat"; total=$((total + f[13] + f[14])); done; echo "$total"; }
hz=$(getconf CLK_TCK)
line="$label"
for row in "100 30000" "16 10000" "1 2000"; do
  read -r inflight requests <<<"$row"
  before=$(cpu_ticks)
  "$binary" bench --endpoint "$endpoint" --workload put --in-flight "$inflight" --requests "$requests" >"$dir/put$inflight.txt" 2>&1
  after=$(cpu_ticks)
  rate=$(grep -o '[0-9]* req/s' "$dir/put$inflight.txt" | head -1 | cut -d' ' -f1)
  line="$line  @$inflight=${rate} req/s ($(( (after - before) * 1000000 / hz / requests )) µs CPU/put)"
done
echo "$line  load=$(cut -d' ' -f1 /proc/loadavg)"
