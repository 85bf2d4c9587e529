# Shared set-up of the sweep shell tests (test_main_*.sh, test_mpi_*.sh), sourced after
# `set -u` as `. "$(dirname "$0")/sweep_test_lib.sh" "$@"` with `cs_require_mpi` first
# when the test needs an MPI build. It sets
#   BIN (the capsearch binary, $1), SRC (the checkout), DATA (../shared/data),
#   T (a scratch directory removed at exit; a test that sets its own EXIT trap removes it too),
#   $T/chat.csv (the shipped chat trace), fails / fail / ok (result counting),
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
