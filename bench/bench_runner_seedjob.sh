#!/usr/bin/env bash
# The seed sweep's first job at full size (issue 13): Llama-3-8B x 8 replicas on H100 (DGX),
# vllm_v1 chunk 512, prefix caching, the Mooncake conversation trace (12,301 requests), a qps
# search from 4 for P99 request E2E <= 60 s, round_robin, one thread. Prints the CPU seconds
# (user + system) and peak RSS of the whole capsearch process, and per probe the simulated
# events, the simulation's wall time and events/s (from the probes' output.log).
#
#   bench/bench_runner_seedjob.sh CAPSEARCH [SHARED_DATA_DIR] [-- extra capsearch options]
#   e.g. bench/bench_runner_seedjob.sh build/capsearch ../shared/data
#   BENCH_PERF=1 also records `perf record -g` into perf.data in the current directory;
#   BENCH_KEEP=DIR keeps the output directory there.
#   BENCH_SLO=ttft judges P99 TTFT <= 10 s instead (the seed sweep's ttft_p99_10s SLO).
#   BENCH_SLOS=3 searches under the seed sweep's three SLOs (configs/seed-sweep.yml: TTFT P99
#   <= 10 s, E2E P99 <= 60 s, TTFT P99 <= 15 s with TPOT P99 <= 100 ms): three jobs that differ
#   only by SLO, which share their full simulations (docs/sweep.md "Jobs that differ only by SLO").
set -u
BIN=${1:?usage: bench_runner_seedjob.sh CAPSEARCH [SHARED_DATA_DIR] [-- options]}
shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  DATA=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
TRACE=$(cd "$DATA/traces" && pwd)/mooncake_conversation_trace.jsonl
[ -r "$TRACE" ] || { echo "missing $TRACE" >&2; exit 2; }
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SLO_NAME=ttlt_p99_60s SLO_METRIC=request_e2e_time SLO_VALUE=60
[ "${BENCH_SLO:-}" = ttft ] && SLO_NAME=ttft_p99_10s SLO_METRIC=prefill_e2e_time SLO_VALUE=10
SLOS="  - name: $SLO_NAME
    type: and
    quantile: 0.99
    slos:
      - metric: $SLO_METRIC
        value: $SLO_VALUE"
if [ "${BENCH_SLOS:-1}" = 3 ]; then
  SLOS=$(sed -n '/^slo_configs:/,/^[a-z]/p' "$SRC/configs/seed-sweep.yml" | sed '1d;$d' | sed 's/ *#.*//')
fi
cat > "$T/seed-job.yml" <<YML
clusters:
  - device: h100
    network_device: h100_dgx
    gpus_per_node: 8
global_schedulers:
  - scheduler: round_robin
request_queues:
  - name: fcfs
    provider: fcfs
replica_schedulers:
  - scheduler: vllm_v1
    chunk_size: 512
slo_configs:
$SLOS
traces:
  - name: mooncake_conversation
    trace_file: "$TRACE"
    max_seq_len: 131072
    enable_prefix_caching: true
batch_sizes: [512]
tp_dimensions: [1]
pp_dimensions: [1]
models:
  - name: Meta-Llama-3-8B
    identifier: meta-llama/Meta-Llama-3-8B
search_configs:
  - trace: mooncake_conversation
    model: Meta-Llama-3-8B
    search_for: qps
    num_replicas: 8
    qps: 4
    num_requests: 12301
YML
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
PERF=()
[ "${BENCH_PERF:-0}" = 1 ] && PERF=(perf record -g -o perf.data --)
/usr/bin/time -f '%U %S %M %e' -o "$T/time" "${PERF[@]}" "$BIN" --config "$T/seed-job.yml" \
  --output-dir "$T/out" -j1 "$@" 2> "$T/err" || { cat "$T/err"; exit 1; }
read -r user sys rss wall < "$T/time"
[ -n "${BENCH_KEEP:-}" ] && rm -rf "$BENCH_KEEP" && cp -r "$T/out" "$BENCH_KEEP"
tail -n +2 "$T/out/results.csv" | cut -d, -f1-3 > /dev/null
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i} NR >= 2 {print "answer: qps " $c["answer_qps"] ", status " $c["status"] ", probes " $c["probes"]}' "$T/out/results.csv"
grep "taken from a sibling" "$T/err"
cat "$T"/out/runs/*/r*/output.log | awk '/simulated in/ {
  for (i = 1; i <= NF; i++) { if ($i == "in") w = $(i + 1); if ($i == "events,") e = $(i - 1) }
  n++; W += w; E += e
  printf "probe %d: %d events in %.3f s wall: %.2f M events/s\n", n, e, w, e / w / 1e6 }
  END { if (W > 0) printf "all probes: %d events, %.3f s simulating: %.2f M events/s\n", E, W, E / W / 1e6 }'
du -sk "$T/out" | awk '{printf "output directory: %.1f MB\n", $1 / 1024}'
awk -v u="$user" -v s="$sys" -v m="$rss" -v e="$wall" \
  'BEGIN {printf "process: %.2f CPU-s (user %.2f + sys %.2f), %.2f s wall, peak RSS %.1f MB\n", u + s, u, s, e, m / 1024}'
