#!/usr/bin/env bash
# Peak RSS per simulation thread on the seed sweep's largest job (issue 13): Llama-3-70B TP4 x 16
# replicas, vllm_v1 chunk 1024, lop_uncached, prefix caching, 23,608 requests of the Mooncake
# synthetic trace (the stand-in for the tool-agent trace), searched under the seed sweep's three
# SLOs (configs/seed-sweep.yml): three jobs that differ only by SLO, one sibling group on one
# thread sharing full simulations (src/runner/memo.c). Prints the process peak RSS of
#   shared  --dry-run: binary, catalogs, the parsed trace (what every thread shares)
#   1 group -j1        the group on A100 alone
#   2 groups -j1, -j2  the group on A100 and on H100 (two groups, same trace), one and two threads
# and what the second thread adds (2 groups -j2 minus 2 groups -j1).
#
#   bench/bench_mem_thread.sh CAPSEARCH [SHARED_DATA_DIR]
#   BENCH_KEEP=DIR keeps the output directories there (compare them with another binary's).
set -u
BIN=${1:?usage: bench_mem_thread.sh CAPSEARCH [SHARED_DATA_DIR]}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${2:-${CS_SHARED_DATA:-$SRC/../shared/data}}
TRACE=$(cd "$DATA/traces" && pwd)/mooncake_synthetic_trace.jsonl
[ -r "$TRACE" ] || { echo "missing $TRACE" >&2; exit 2; }
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
T=${BENCH_KEEP:-$(mktemp -d)}
mkdir -p "$T"
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
SLOS=$(sed -n '/^slo_configs:/,/^[a-z]/p' "$SRC/configs/seed-sweep.yml" | sed '1d;$d' | sed 's/ *#.*//')
sweep() { # $1: the clusters list
  cat <<YML
clusters:
$1
global_schedulers:
  - scheduler: lop_uncached
request_queues:
  - name: fcfs
    provider: fcfs
replica_schedulers:
  - scheduler: vllm_v1
    chunk_size: 1024
slo_configs:
$SLOS
traces:
  - name: mooncake_toolagent
    trace_file: $TRACE
    max_seq_len: 131072
    enable_prefix_caching: true
batch_sizes: [512]
tp_dimensions: [4]
pp_dimensions: [1]
models:
  - name: Meta-Llama-3-70B
    identifier: meta-llama/Meta-Llama-3-70B
search_configs:
  - trace: mooncake_toolagent
    model: Meta-Llama-3-70B
    search_for: qps
    num_replicas: 16
    qps: 8
    num_requests: 23608
YML
}
A100='  - device: a100
    network_device: a100_dgx
    gpus_per_node: 8'
H100='  - device: h100
    network_device: h100_dgx
    gpus_per_node: 8'
sweep "$A100" > "$T/one.yml"
sweep "$H100
$A100" > "$T/two.yml"
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
peak() { # $1 name, $2 config, rest: options; prints "name: user sys peak-RSS wall"
  local name=$1 cfg=$2
  shift 2
  rm -rf "$T/$name"
  /usr/bin/time -f '%U %S %M %e' -o "$T/$name.time" "$BIN" --config "$cfg" --output-dir "$T/$name" "$@" \
    2> "$T/$name.err" > /dev/null || { cat "$T/$name.err"; exit 1; }
  read -r u s m e < "$T/$name.time"
  printf '%-14s %7.2f user %6.2f sys  peak RSS %6.1f MB  %7.1f s wall\n' "$name:" "$u" "$s" "$(echo "$m / 1000" | bc -l)" "$e"
  eval "rss_${name//-/_}=$m"
}
peak shared "$T/two.yml" --dry-run
peak one-j1 "$T/one.yml" -j1
peak two-j1 "$T/two.yml" -j1
peak two-j2 "$T/two.yml" -j2
echo "the second thread adds $(echo "($rss_two_j2 - $rss_two_j1) / 1000" | bc -l | xargs printf '%.1f') MB;" \
  "per thread with the shared part set apart: $(echo "($rss_two_j2 - $rss_shared) / 2000" | bc -l | xargs printf '%.1f') MB"
