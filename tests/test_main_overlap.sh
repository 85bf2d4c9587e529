#!/usr/bin/env bash
# Processes that meet on one output directory (docs/scaling.md, docs/sweep.md "--wait"):
#  - a run queued with --wait says it waits and for whom, and a signal ends the wait at once
#    (exit 130) without writing anything into the directory
# The lock holders here are the test shell itself (flock(1) on fd 9), so the waits are certain.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
command -v flock > /dev/null || { echo "SKIP: flock(1) not found (util-linux)"; exit 77; }
cs_chat_sweep 1 64 > "$T/sweep.yml"
same_dirs() { diff -r -x output.log -x args.json "$1" "$2" > "$T/diff.txt"; }
# until_grep FILE PATTERN: waits (10 s at most) for PATTERN in FILE
until_grep() { for _ in $(seq 200); do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.05; done; return 1; }
# gone PID: waits (3 s at most) for PID to end
# start DIR [ARGS]: run in the background as this shell's child ($! is capsearch itself)
start() { "$BIN" --config "$T/sweep.yml" --output-dir "$@" $OPTS & }
gone() { for _ in $(seq 60); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.05; done; return 1; }

run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }

# --- --wait, interrupted --------------------------------------------------------------------
mkdir -p "$T/w"
exec 9> "$T/w/.lock"
flock -x 9
echo "pid 4242 on host testhost, started 2026-01-01T00:00:00Z, writing alone" >&9
for sig in TERM INT; do
  start "$T/w" --wait 9>&- 2> "$T/w.err"
  pid=$!
  until_grep "$T/w.err" "waiting: .*in use by another capsearch run (pid 4242 on host testhost" \
    && ok "--wait says whom it waits for" || { fail "--wait silent"; cat "$T/w.err"; }
  kill -$sig $pid
  if gone $pid; then
    wait $pid; rc=$?
    [ $rc -eq 130 ] && ok "SIG$sig ends the wait at once, exit 130" || { fail "SIG$sig: exit $rc"; cat "$T/w.err"; }
  else
    fail "SIG$sig: still waiting 3 s later"
    kill -KILL $pid; wait $pid
  fi
  [ "$(ls -A "$T/w")" = ".lock" ] && ok "nothing written after SIG$sig" || fail "SIG$sig: wrote $(ls -A "$T/w")"
done
exec 9>&-

echo "$fails failure(s)"
[ $fails -eq 0 ]
