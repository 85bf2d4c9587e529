#!/usr/bin/env bash
# Probe-file I/O of a small slice of the seed sweep (issue 13, docs/scaling.md "Disk"): the
# seed's Llama-3-8B x 8 on H100 with round_robin on the Mooncake conversation trace (12,301
# requests, prefix caching), both vllm_v1 chunk sizes and the seed's three SLOs: 6 jobs, run
# with `--time-limit 180 -j2 --keep-runs answers` (or the mode given as MODE) into a fresh
# output directory after `sync` and a 5 s pause. Prints wall, user and system CPU seconds, and
# from the process's /proc/PID/io (read just before it exits): write_bytes (page-cache bytes it
# dirtied), cancelled_write_bytes (those dropped because the file was removed or truncated
# before writeback) and their difference, what had to reach the disk; plus the bytes the disk
# wrote meanwhile (/sys/block/<dev>/stat, every process's) and what stays on disk.
#
#   bench/bench_keep_runs_io.sh CAPSEARCH [SHARED_DATA_DIR] [MODE]
#   BENCH_J=N threads (default 2); BENCH_KEEP=DIR keeps the output directory in DIR (must not exist).
set -u
BIN=${1:?usage: bench_keep_runs_io.sh CAPSEARCH [SHARED_DATA_DIR] [MODE]}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${2:-${CS_SHARED_DATA:-$SRC/../shared/data}}
MODE=${3:-answers}
TRACE=$(cd "$DATA/traces" 2> /dev/null && pwd)/mooncake_conversation_trace.jsonl
[ -r "$TRACE" ] || { echo "missing $TRACE" >&2; exit 2; }
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OUT=${BENCH_KEEP:-$T/out}
[ -e "$OUT" ] && { echo "$OUT exists" >&2; exit 2; }
SLOS=$(sed -n '/^slo_configs:/,/^[a-z]/p' "$SRC/configs/seed-sweep.yml" | sed '1d;$d' | sed 's/ *#.*//')
cat > "$T/slice.yml" <<YML
clusters:
  - {device: h100, network_device: h100_dgx, gpus_per_node: 8}
global_schedulers:
  - scheduler: round_robin
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers:
  - {scheduler: vllm_v1, chunk_size: 512}
  - {scheduler: vllm_v1, chunk_size: 1024}
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
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
  - {trace: mooncake_conversation, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 8, qps: 4, num_requests: 12301}
YML
dev=$(basename "$(df --output=source "$(dirname "$OUT")" | tail -1)")
sectors() { awk '{print $7}' "/sys/block/$dev/stat" 2> /dev/null || echo 0; }
sync
sleep 5
s0=$(sectors)
/usr/bin/time -f "%e %U %S" -o "$T/time" "$BIN" --config "$T/slice.yml" --output-dir "$OUT" --time-limit 180 \
  -j"${BENCH_J:-2}" --keep-runs "$MODE" 2> "$T/err" &
sleep 0.2
pid=$(pgrep -P $! -f "$T/slice.yml" | head -1)
io=""
while kill -0 "$pid" 2> /dev/null; do
  io=$(cat "/proc/$pid/io" 2> /dev/null || echo "$io")
  sleep 0.1
done
wait
s1=$(sectors)
read -r wall user sys < "$T/time"
wb=$(echo "$io" | awk '/^write_bytes/{print $2}')
cw=$(echo "$io" | awk '/^cancelled_write_bytes/{print $2}')
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $BIN, --keep-runs $MODE, -j${BENCH_J:-2}: $(grep -o '[0-9]* jobs: .*' "$T/err" | head -1)"
echo "wall ${wall} s, user ${user} s, sys ${sys} s"
awk -v w="${wb:-0}" -v c="${cw:-0}" -v d="$(( (s1 - s0) * 512 ))" -v k="$(du -sb "$OUT" | cut -f1)" 'BEGIN {
  printf "write_bytes %.1f MB, cancelled %.1f MB, net %.1f MB; disk %s wrote %.1f MB (all processes); %.1f MB kept\n",
    w / 1e6, c / 1e6, (w - c) / 1e6, "'"$dev"'", d / 1e6, k / 1e6 }'
