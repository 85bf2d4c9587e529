# Shared set-up of the sweep shell tests (test_main_*.sh, test_mpi_*.sh), sourced after
# `set -u` as `. "$(dirname "$0")/sweep_test_lib.sh" "$@"` with `cs_require_mpi` first
# when the test needs an MPI build. It sets
#   BIN (the capsearch binary, $1), SRC (the checkout), DATA (../shared/data),
#   T (a scratch directory removed at exit; a test that sets its own EXIT trap removes it too),
#   $T/chat.csv (the shipped chat trace), fails / fail / ok (result counting),
#   cs_sweep / cs_slo (a small sweep's YAML, naming what a test varies), cs_chat_sweep / OPTS /
#   run / same_dirs (the small resume sweep and its runs, below),
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

# cs_sweep [OPTION VALUE]...: a small sweep on $T/chat.csv on stdout (Llama-3-8B, prefix caching,
# fcfs, pp 1): the tests' common set-up, each naming only what it varies. Options (repeatable
# ones add entries; without any, the default entry):
#   -c DEVICE        a cluster (h100 or a100, on its dgx network); h100
#   -g ROUTER        a global scheduler with its parameters, e.g. "lor" or
#                    "ranked_sticky_lop_uncached, top_k: 2"; round_robin
#   -r SCHED:CHUNK   a replica scheduler; vllm_v1:512
#   -s SLO           an slo_configs entry (a YAML flow mapping, cs_slo makes the usual one)
#   -b BATCH         batch size; 64
#   -t TP            tp_dimensions, e.g. "1, 3"; 1
#   -q "REPLICAS QPS REQUESTS [SEARCH]"  a search config (SEARCH qps or num_replicas; qps)
cs_sweep() {
  local c=() g=() r=() s=() q=() b=64 t=1 x
  while [ $# -ge 2 ]; do
    case $1 in
      -c) c+=("$2") ;; -g) g+=("$2") ;; -r) r+=("$2") ;; -s) s+=("$2") ;; -q) q+=("$2") ;;
      -b) b=$2 ;; -t) t=$2 ;;
      *) echo "cs_sweep: unknown option $1" >&2; return 2 ;;
    esac
    shift 2
  done
  [ ${#c[@]} -gt 0 ] || c=(h100)
  [ ${#g[@]} -gt 0 ] || g=(round_robin)
  [ ${#r[@]} -gt 0 ] || r=(vllm_v1:512)
  echo "clusters:"
  for x in "${c[@]}"; do echo "  - {device: $x, network_device: ${x}_dgx, gpus_per_node: 8}"; done
  echo "global_schedulers:"
  for x in "${g[@]}"; do echo "  - {scheduler: $x}"; done
  echo "request_queues: [{name: fcfs, provider: fcfs}]"
  echo "replica_schedulers:"
  for x in "${r[@]}"; do echo "  - {scheduler: ${x%:*}, chunk_size: ${x#*:}}"; done
  echo "slo_configs:"
  for x in "${s[@]}"; do echo "  - $x"; done
  cat <<YML
traces:
  - {name: chat, trace_file: chat.csv, max_seq_len: 8192, enable_prefix_caching: true}
batch_sizes: [$b]
tp_dimensions: [$t]
pp_dimensions: [1]
models:
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
YML
  for x in "${q[@]}"; do
    set -- $x
    echo "  - {trace: chat, model: Meta-Llama-3-8B, search_for: ${4:-qps}, num_replicas: $1, qps: $2, num_requests: $3}"
  done
}
# cs_slo NAME METRIC VALUE [QUANTILE]: the slo_configs entry "P<QUANTILE> METRIC <= VALUE" (0.99)
cs_slo() { echo "{name: $1, type: and, quantile: ${4:-0.99}, slos: [{metric: $2, value: $3}]}"; }

# The small sweep the resume and trust tests (test_main_integrity.sh, test_main_store_trust.sh)
# run on $T/chat.csv: Llama-3-8B on one H100 replica, vllm_v1 chunk 512, SLO ttft_p99 (P99
# prefill_e2e_time <= $1 s), batch size $2 (64), the router round_robin and those named in $3
# (space separated), a qps search from 2 with 120 requests. `run DIR [ARGS]` runs the sweep in
# $T/sweep.yml into DIR with OPTS (4 iterations: a few probes per job, 30 s time limit, 2 threads;
# a test may set its own OPTS after sourcing this file); `same_dirs A B` compares two output
# directories but for output.log and args.json (wall times, the command line), the diff in
# $T/diff.txt.
cs_chat_sweep() {
  local g=(-g round_robin) x
  for x in ${3:-}; do g+=(-g "$x"); done
  cs_sweep "${g[@]}" -s "$(cs_slo ttft_p99 prefill_e2e_time "$1")" -b "${2:-64}" -q "1 2 120"
}
OPTS="--max-iterations 4 --time-limit 30 -j2"
run() { "$BIN" --config "$T/sweep.yml" --output-dir "$@" $OPTS; }
same_dirs() { diff -r -x output.log -x args.json "$1" "$2" > "$T/diff.txt"; }
