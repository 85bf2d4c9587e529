#!/usr/bin/env bash
# A failed write of a command's output (here /dev/full: "No space left on device") is one line on
# stderr naming what could not be written and exit 1, never a cut document with exit 0: every
# --json output, and plain text on stdout too.
set -u
CAPSEARCH=${1:?usage: test_cli_write_errors.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"

full() { # full NAME ARGS...: runs capsearch ARGS with stdout on /dev/full
  local name=$1; shift
  "$CAPSEARCH" "$@" > /dev/full 2> "$T/e"
  local rc=$?
  check "$name: exit 1 on a full stdout" test $rc -eq 1
  check "$name: says it cannot write" grep -q "^capsearch: cannot write .*: No space left on device$" "$T/e"
}

full "trace info --json" trace info --json "$SRC/traces/chat_small.csv"
full "list models --json" list --json models
full "list devices --json" list --json devices
full "list schedulers --json" list --json schedulers
full "list predictors --json" list --json predictors
full "plan --json" plan --model Meta-Llama-3-8B --device h100 --json
full "plan --all-devices --json" plan --model Meta-Llama-3-8B --all-devices --json
full "recommend --json" recommend --model Meta-Llama-3-8B --workload chat --qps 5 --json
# text outputs end the same way
full "trace info" trace info "$SRC/traces/chat_small.csv"
full "list models" list models
full "plan" plan --model Meta-Llama-3-8B --device h100

# and nothing changes where the output can be written
"$CAPSEARCH" trace info --json "$SRC/traces/chat_small.csv" > "$T/o" 2> "$T/e"
check "trace info --json to a file: exit 0" test $? -eq 0 -a ! -s "$T/e"
check "trace info --json to a file: one whole document" test "$(tail -c 2 "$T/o")" = "}"
exit $fail
