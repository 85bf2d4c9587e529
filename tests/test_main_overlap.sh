#!/usr/bin/env bash
# Processes that meet on one output directory (docs/scaling.md, docs/sweep.md "--wait"):
#  - a run queued with --wait says it waits and for whom, and a signal ends the wait at once
#    (exit 130) without writing anything into the directory
#  - two processes on one job (the same --shard started twice, or shards of another N): the
#    second waits for the job's lock, then replays what the first committed; together they end
#    ok and give the files of one run, with no temporary directory left behind
#  - a .tmp-<timestamp> run directory left inside a committed probe directory is removed
#  - a holder line whose process has ended (kill -9, a shard member that ended first) is called
#    stale by --wait, a job wait and a refusal; a joining shard member replaces it
# The lock holders here are the test shell itself (flock(1) on fd 9), so the waits are certain.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
command -v flock > /dev/null || { echo "SKIP: flock(1) not found (util-linux)"; exit 77; }
cs_chat_sweep 1 64 > "$T/sweep.yml"
# until_grep FILE PATTERN: waits (10 s at most) for PATTERN in FILE
until_grep() { for _ in $(seq 200); do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.05; done; return 1; }
# gone PID: waits (3 s at most) for PID to end
# start DIR [ARGS]: run in the background as this shell's child ($! is capsearch itself)
start() { "$BIN" --config "$T/sweep.yml" --output-dir "$@" $OPTS & }
gone() { for _ in $(seq 60); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.05; done; return 1; }
# hold FILE -x|-s LINE: this shell holds FILE's flock on fd 9 (until `exec 9>&-`), its holder line LINE
hold() { exec 9> "$1"; flock "$2" 9; echo "$3" >&9; }

run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }
hash=$(ls "$T/ref/runs")

# --- --wait, interrupted --------------------------------------------------------------------
mkdir -p "$T/w"
hold "$T/w/.lock" -x "pid 4242 on host testhost, started 2026-01-01T00:00:00Z, writing alone"
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

# --- a job another process runs: wait for it, then replay -----------------------------------
mkdir -p "$T/j/runs/$hash"
hold "$T/j/runs/$hash/.lock" -x "pid 4343 on host testhost, started 2026-01-01T00:00:00Z, running this job"
start "$T/j" --shard 0/2 9>&- 2> "$T/j.err"
pid=$!
until_grep "$T/j.err" "waiting: .*$hash: the job is being run by another capsearch process (pid 4343" \
  && ok "a shard waits for the job another process holds" || { fail "no wait for the job"; cat "$T/j.err"; }
[ ! -e "$T/j/runs/$hash/job.json" ] && ok "nothing of the job written while it waits" || fail "job written while held"
kill -TERM $pid
if gone $pid; then
  wait $pid; rc=$?
  [ $rc -eq 130 ] && ok "SIGTERM ends the job wait, exit 130" || { fail "job wait: exit $rc"; cat "$T/j.err"; }
else
  fail "job wait: still waiting 3 s after SIGTERM"
  kill -KILL $pid; wait $pid
fi
start "$T/j" --shard 0/2 9>&- 2> "$T/j2.err"
pid=$!
until_grep "$T/j2.err" "waiting: " || fail "second job wait silent"
exec 9>&- # the holder ends: the shard runs the job
wait $pid; rc=$?
[ $rc -eq 0 ] && ok "the shard runs the job once the holder is gone" || { fail "shard after holder: exit $rc"; cat "$T/j2.err"; }

# --- the same shard twice and a shard of another N, at once ----------------------------------
for s in 0/2 0/2 0/3; do
  start "$T/o" --shard $s 2> "$T/o${s%/*}_${s#*/}_$RANDOM.err"
done
rcs=""
for p in $(jobs -p); do wait "$p"; rcs="$rcs $?"; done
[ "$rcs" = " 0 0 0" ] && ok "overlapping shards all end ok" || { fail "overlapping shards exit:$rcs"; cat "$T"/o*.err; }
run "$T/o" 2> "$T/o.err" || fail "assembling run exit $?"
grep -q " 0 probes simulated" "$T/o.err" && ok "assembly simulates nothing" || { fail "assembly simulated"; cat "$T/o.err"; }
same_dirs "$T/ref" "$T/o" && ok "overlapping shards give the files of one run" || { fail "differ"; head "$T/diff.txt"; }
[ -z "$(find "$T/o" -name '*.tmp*')" ] && ok "no temporary files left" || fail "left: $(find "$T/o" -name '*.tmp*')"

# --- a leftover run directory inside a committed probe ---------------------------------------
probe=$(find "$T/o/runs" -name probe.json -printf '%h\n' | sort | head -n 1)
cp -r "$(find "$probe" -mindepth 1 -maxdepth 1 -type d -name '1970-*' | head -n 1)" "$probe/.tmp-1970-01-01_00-00-00-000001"
run "$T/o" 2> "$T/o2.err" || fail "rerun exit $?"
[ ! -e "$probe/.tmp-1970-01-01_00-00-00-000001" ] && ok "leftover .tmp- run directory removed" || fail "leftover stays"
same_dirs "$T/ref" "$T/o" && ok "identical after the cleanup" || { fail "differ after cleanup"; head "$T/diff.txt"; }

# --- holder lines whose process has ended (a kill -9 leaves its line in .lock) --------------
# The lock is held (by this shell) but the line names a process that is gone: a message that
# quotes the line says it is stale rather than naming a dead pid as the holder.
dead=$(sh -c 'echo $$') # a process that has ended
line="pid $dead on host $(hostname), started 2026-01-01T00:00:00Z"
stale="pid $dead on host $(hostname), started 2026-01-01T00:00:00Z, [a-z ]*; stale: that process has ended"
mkdir -p "$T/k"
hold "$T/k/.lock" -x "$line, writing alone"
start "$T/k" --wait 9>&- 2> "$T/k.err"
pid=$!
until_grep "$T/k.err" "waiting: .*in use by another capsearch run ($stale" \
  && ok "--wait calls a dead holder's line stale" || { fail "--wait names a dead holder"; cat "$T/k.err"; }
kill -TERM $pid; wait $pid
exec 9>&-
mkdir -p "$T/kj/runs/$hash"
hold "$T/kj/runs/$hash/.lock" -x "$line, running this job"
start "$T/kj" --shard 0/2 9>&- 2> "$T/kj.err"
pid=$!
until_grep "$T/kj.err" "waiting: .*$hash: the job is being run by another capsearch process ($stale" \
  && ok "a shard calls a killed job holder's line stale" || { fail "job wait names a dead holder"; cat "$T/kj.err"; }
exec 9>&-
wait $pid && ok "and runs the job once the lock is free" || fail "job after stale holder: exit $?"
# a --shard member joining a group whose recorded member has ended records itself; once it
# ends too (the group still holds the lock here), a lone run's refusal calls that line stale
mkdir -p "$T/ks"
hold "$T/ks/.lock" -s "$line, sharing it with --shard or MPI ranks"
run "$T/ks" --shard 1/2 9>&- 2> "$T/ks.err" || { fail "shard in a group exit $?"; cat "$T/ks.err"; }
grep -q "^pid $dead " "$T/ks/.lock" && fail "the dead member's line stays" || ok "a joining member replaces a dead member's line"
run "$T/ks" 9>&- 2> "$T/ks2.err"; rc=$?
[ $rc -eq 2 ] && grep -q "in use by another capsearch run (pid [0-9]* on host .*; stale: that process has ended" "$T/ks2.err" \
  && ok "a lone run's refusal calls an ended member's line stale" || { fail "refusal rc $rc"; cat "$T/ks2.err"; }
exec 9>&-

echo "$fails failure(s)"
[ $fails -eq 0 ]
