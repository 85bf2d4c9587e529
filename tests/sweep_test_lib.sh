# Shared set-up of the sweep shell tests (test_main_*.sh, test_mpi_*.sh), sourced after
# `set -u` as `. "$(dirname "$0")/sweep_test_lib.sh" "$@"` with `cs_require_mpi` first
# when the test needs an MPI build. It sets
#   BIN (the capsearch binary, $1), SRC (the checkout), DATA (../shared/data),
#   T (a scratch directory removed at exit; a test that sets its own EXIT trap removes it too),
#   $T/chat.csv (the shipped chat trace), fails / fail / ok (result counting),
#   cs_chat_sweep / OPTS / run (the small resume sweep, below),
# and skips the test (exit 77, ctest's SKIP_RETURN_CODE) when the shipped trace is absent.
BIN=${1:?usage: $0 CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Skips unless BIN is an MPI build and mpirun exists; sets MPIRUN (the launcher with the options
# a small machine needs: oversubscription, root) and turns LeakSanitizer off for the ranks
# (Open MPI's own allocations outlive MPI_Finalize).
cs_require_mpi() {
  if ! "$BIN" --version 2> /dev/null | grep -q '(mpi)'; then
    echo "SKIP: $BIN was built without MPI (cmake -DCS_MPI=ON; scripts/test-mpi.sh)"
    exit 77
  fi
  if ! command -v mpirun > /dev/null; then
    echo "SKIP: mpirun not found (Debian: openmpi-bin libopenmpi-dev; scripts/test-mpi.sh)"
    exit 77
  fi
  MPIRUN=(mpirun)
  if mpirun --version 2>&1 | grep -q 'Open MPI'; then
    MPIRUN+=(--oversubscribe)
    [ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
    export OMPI_MCA_btl_vader_single_copy_mechanism=none # containers often forbid CMA
  fi
  export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0
}

if [ ! -f "$SRC/traces/chat_small.csv" ]; then
  echo "SKIP: $SRC/traces/chat_small.csv not present"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SRC/traces/chat_small.csv" "$T/chat.csv"

# The small sweep the resume and trust tests (test_main_integrity.sh, test_main_store_trust.sh)
# run on $T/chat.csv: Llama-3-8B on one H100 replica, vllm_v1 chunk 512, SLO ttft_p99 (P99
# prefill_e2e_time <= $1 s), batch size $2 (64), the router round_robin and those named in $3
# (space separated), a qps search from 2 with 120 requests. `run DIR [ARGS]` runs the sweep in
# $T/sweep.yml into DIR with OPTS (4 iterations: a few probes per job, 30 s time limit, 2 threads).
cs_chat_sweep() {
  cat <<YML
clusters:
  - {device: h100, network_device: h100_dgx, gpus_per_node: 8}
global_schedulers:
  - scheduler: round_robin
YML
  for g in ${3:-}; do echo "  - scheduler: $g"; done
  cat <<YML
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers:
  - {scheduler: vllm_v1, chunk_size: 512}
slo_configs:
  - name: ttft_p99
    type: and
    quantile: 0.99
    slos: [{metric: prefill_e2e_time, value: $1}]
traces:
  - {name: chat, trace_file: chat.csv, max_seq_len: 8192, enable_prefix_caching: true}
batch_sizes: [${2:-64}]
tp_dimensions: [1]
pp_dimensions: [1]
models:
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 2, num_requests: 120}
YML
}
OPTS="--max-iterations 4 --time-limit 30 -j2"
run() { "$BIN" --config "$T/sweep.yml" --output-dir "$@" $OPTS; }
