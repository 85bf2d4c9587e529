#!/usr/bin/env bash
# The seed sweep's seven routers (configs/seed-sweep.yml: round_robin, sticky_lop, lop_uncached,
# tolerant_sticky_lop_uncached 2.0 / 3.0, ranked_sticky_lop_uncached 2 / 4) on one small
# seed-like job each, one capsearch process per router, one thread: prints per router the CPU
# seconds (user + system) of the process, the simulated events, and the CPU microseconds per event,
# so the cost of the cached-prefix-aware routers' per-arrival queries shows against round_robin.
# The job: Llama-3-70B TP4 x 16 replicas on A100, vllm_v1 chunk 1024, prefix caching, the Mooncake
# synthetic trace standing in for the tool-agent trace, BENCH_REQUESTS requests (default 3000),
# a qps search from 8 under P99 TTFT <= 15 s and TPOT <= 100 ms (the heavy seed job, smaller).
# BENCH_JOB=conv runs the seed job's shape instead (Llama-3-8B x 8 on H100, chunk 512, Mooncake
# conversation, P99 E2E <= 60 s, from qps 4).
#
#   bench/bench_routers.sh CAPSEARCH [SHARED_DATA_DIR]
#   BENCH_KEEP=DIR keeps each router's output directory as DIR/<router>[_<value>] (to compare two
#   binaries' outputs with diff -r -x output.log -x args.json).
set -u
BIN=${1:?usage: bench_routers.sh CAPSEARCH [SHARED_DATA_DIR]}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${2:-${CS_SHARED_DATA:-$SRC/../shared/data}}
N=${BENCH_REQUESTS:-3000}
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ "${BENCH_JOB:-heavy}" = conv ]; then
  TRACE=mooncake_conversation_trace.jsonl DEV=h100 MODEL=Meta-Llama-3-8B TP=1 R=8 CHUNK=512 QPS=4
  SLO="      - metric: request_e2e_time
        value: 60"
else
  TRACE=mooncake_synthetic_trace.jsonl DEV=a100 MODEL=Meta-Llama-3-70B TP=4 R=16 CHUNK=1024 QPS=8
  SLO="      - metric: prefill_e2e_time
        value: 15
      - metric: decode_time_execution_plus_preemption_normalized
        value: 0.1"
fi
TRACE_PATH=$(cd "$DATA/traces" && pwd)/$TRACE
[ -r "$TRACE_PATH" ] || { echo "missing $TRACE_PATH" >&2; exit 2; }
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "job: $MODEL TP$TP x $R on $DEV, vllm_v1 chunk $CHUNK, $TRACE, $N requests"
printf '%-36s %8s %12s %10s\n' router CPU-s events us/event
for spec in round_robin sticky_lop lop_uncached tolerant_sticky_lop_uncached:tolerance_factor:2.0 \
  tolerant_sticky_lop_uncached:tolerance_factor:3.0 ranked_sticky_lop_uncached:top_k:2 \
  ranked_sticky_lop_uncached:top_k:4; do
  IFS=: read -r name param value <<< "$spec"
  label=$name${value:+_$value}
  extra=${param:+"
    $param: $value"}
  cat > "$T/job.yml" <<YML
clusters:
  - device: $DEV
    network_device: ${DEV}_dgx
    gpus_per_node: 8
global_schedulers:
  - scheduler: $name$extra
request_queues:
  - name: fcfs
    provider: fcfs
replica_schedulers:
  - scheduler: vllm_v1
    chunk_size: $CHUNK
slo_configs:
  - name: bench_slo
    type: and
    quantile: 0.99
    slos:
$SLO
traces:
  - name: bench_trace
    trace_file: "$TRACE_PATH"
    max_seq_len: 131072
    enable_prefix_caching: true
batch_sizes: [512]
tp_dimensions: [$TP]
pp_dimensions: [1]
models:
  - name: $MODEL
    identifier: meta-llama/$MODEL
search_configs:
  - trace: bench_trace
    model: $MODEL
    search_for: qps
    num_replicas: $R
    qps: $QPS
    num_requests: $N
YML
  rm -rf "$T/out"
  /usr/bin/time -f '%U %S' -o "$T/time" "$BIN" --config "$T/job.yml" --output-dir "$T/out" -j1 \
    2> "$T/err" > /dev/null || { cat "$T/err"; exit 1; }
  read -r user sys < "$T/time"
  events=$(cat "$T"/out/runs/*/r*/output.log | awk '/simulated in/ {
    for (i = 1; i <= NF; i++) if ($i == "events,") e += $(i - 1) } END {print e + 0}')
  awk -v l="$label" -v u="$user" -v s="$sys" -v e="$events" \
    'BEGIN {printf "%-36s %8.2f %12d %10.3f\n", l, u + s, e, (e > 0 ? (u + s) * 1e6 / e : 0)}'
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP" && rm -rf "${BENCH_KEEP:?}/$label" && cp -r "$T/out" "$BENCH_KEEP/$label"
  fi
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
