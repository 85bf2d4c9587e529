#!/usr/bin/env bash
# The order in which a probe is made durable and committed (docs/sweep.md, "What a resume
# trusts"), read from the system calls of a real run (strace):
#  - every file of a probe's private directory is fdatasync'd (or fsync'd) before the directory
#    is renamed into place, and the directory and its plots/ are fsync'd after the files' last
#    sync and before that rename (the files are written first, then synced in one pass)
#  - the rename of the result directory comes before the rename that commits probe.json, and
#    probe.json's temporary file is fsync'd before that rename, its directory after it
#  - a kill injected at the first probe.json commit (the data synced, the directory renamed, no
#    probe.json) leaves a probe that the resume simulates again, not one it trusts; a kill in the
#    middle of the sync pass leaves a private directory the resume removes; both end byte-identical
#    to an uninterrupted run
#  - under --keep-runs answers nothing is synced while a job runs, the files it prunes are never
#    synced, and everything it keeps is synced (files, then directories) before results.csv;
#    a kill leaves committed probes the resume reuses, and files a crash truncated or lost are
#    noticed and simulated again; each ends byte-identical to an uninterrupted run
# Skipped where strace is missing or may not trace (no ptrace in the container).
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
if ! command -v strace > /dev/null || ! strace -f -qq -o /dev/null true 2> /dev/null; then
  echo "SKIP: strace not available or not permitted to trace here"
  exit 77
fi
if ! command -v python3 > /dev/null; then
  echo "SKIP: python3 not found"
  exit 77
fi
cs_sweep -s "$(cs_slo ttft_p99 prefill_e2e_time 1)" -q "2 2 120" > "$T/sweep.yml"
OPTS="--max-iterations 3 --time-limit 30 -j1"
RENAMES=rename,renameat,renameat2
# LeakSanitizer cannot run under ptrace: in a sanitizer build the traced runs skip the leak check
# (ASan and UBSan stay on; every untraced run keeps it)
TRACED_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }
nref=$(find "$T/ref/runs" -name probe.json | wc -l)

# --- the order of a probe's system calls ---------------------------------------------------
ASAN_OPTIONS=$TRACED_ASAN strace -f -qq -y -o "$T/trace.txt" -e trace=openat,open,creat,fdatasync,fsync,$RENAMES \
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/traced" $OPTS 2> "$T/traced.err" \
  || { fail "traced run"; cat "$T/traced.err"; }
same_dirs "$T/ref" "$T/traced" && ok "traced run identical to the reference" || { fail "traced run differs"; head "$T/diff.txt"; }
python3 - "$T/trace.txt" "$nref" > "$T/order.txt" <<'PY'
import re, sys
lines, nref = open(sys.argv[1]).read().splitlines(), int(sys.argv[2])
# join "<unfinished ...>" / "<... resumed>" halves per thread
calls, pend = [], {}
for ln in lines:
    pid, rest = ln.split(None, 1)
    if rest.endswith("<unfinished ...>"):
        pend[pid] = rest[: -len("<unfinished ...>")]
        continue
    m = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
    if m:
        rest = pend.pop(pid, "") + m.group(1)
    calls.append(rest)
synced, opened, bad = {}, {}, []  # path -> index of its last sync / of its creation
probes = files = 0
for i, c in enumerate(calls):
    m = re.match(r"(fsync|fdatasync)\(\d+<(.*)>\) = 0", c)
    if m:
        synced[m.group(2)] = i
        continue
    m = re.match(r"open(?:at)?\(.*?\"(.*?)\", [^)]*O_CREAT[^)]*\) = \d+", c)
    if m:
        opened[m.group(1)] = i
        continue
    m = re.match(r"rename(?:at2?)?\((?:\w+<[^>]*>, )?\"(.*?)\", (?:\w+<[^>]*>, )?\"(.*?)\"", c)
    if not m:
        continue
    src, dst = m.group(1), m.group(2)
    if "/.tmp-" in src:  # a probe's private result directory published
        inside = [p for p in opened if p.startswith(src + "/")]
        files += len(inside)
        last = 0
        for p in inside:
            s = synced.get(p, -1)
            if s < opened[p]:
                bad.append("not synced before the directory rename: " + p)
            last = max(last, s)
        for d in (src, src + "/plots"):
            if not (last < synced.get(d, -1) < i):
                bad.append("directory not synced after its files, before the rename: " + d)
        pending = dst
    elif dst.endswith("/probe.json"):
        probes += 1
        if not dst.startswith(pending.rsplit("/", 1)[0] + "/"):
            bad.append("probe.json committed without its result directory renamed first: " + dst)
        if synced.get(src, -1) < 0:
            bad.append("probe.json not synced before its rename: " + src)
        pending = "(none)"
        later = [j for j in range(i + 1, len(calls)) if re.match(r"fsync\(\d+<%s>\)" % re.escape(dst.rsplit("/", 1)[0]), calls[j])]
        if not later:
            bad.append("probe directory not synced after the probe.json rename: " + dst)
print("%d probes, %d files checked" % (probes, files))
for b in bad[:10]:
    print("BAD", b)
sys.exit(1 if bad or probes != nref or files < 20 * nref else 0)
PY
if [ $? -eq 0 ]; then ok "commit order: $(head -1 "$T/order.txt")"; else fail "commit order"; cat "$T/order.txt"; fi

# --- a kill between the synced data and the probe.json commit --------------------------------
# the Nth rename of the traced run that commits a probe.json (counted like strace's when=N)
n=$(grep -E "^[0-9]+ +($(echo $RENAMES | tr , '|'))\(" "$T/trace.txt" | grep -n 'probe\.json"' | head -1 | cut -d: -f1)
(ASAN_OPTIONS=$TRACED_ASAN strace -f -qq -o /dev/null -e trace=$RENAMES -e inject=$RENAMES:error=EIO:signal=SIGKILL:when=$n \
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/kill" $OPTS; :) > /dev/null 2>&1
pdir=$(dirname "$(find "$T/kill/runs" -path '*/1970-*' -name config.json | head -1)")
pdir=$(dirname "$pdir")
if [ -n "$n" ] && [ -d "$pdir" ] && [ ! -e "$pdir/probe.json" ] && [ -z "$(find "$T/kill/runs" -name probe.json)" ]; then
  ok "killed at the first commit (rename $n): result directory in place, no probe.json"
else
  fail "the injected kill did not stop before the first commit (rename '$n', $pdir)"
fi
run "$T/kill" 2> "$T/kill.err" || { fail "resume after the kill"; cat "$T/kill.err"; }
grep -q " $nref probes simulated, 0 reused" "$T/kill.err" && [ "$(grep -c ': simulating ' "$pdir/output.log")" -eq 2 ] \
  && ok "the uncommitted probe was simulated again ($(grep -o '[0-9]* probes simulated, [0-9]* reused' "$T/kill.err"))" \
  || { fail "the uncommitted probe was trusted"; cat "$T/kill.err"; cat "$pdir/output.log"; }
same_dirs "$T/ref" "$T/kill" && ok "resume after the kill identical to the reference" || { fail "resume differs"; head "$T/diff.txt"; }

# --- a kill in the middle of the sync pass -----------------------------------------------------
(ASAN_OPTIONS=$TRACED_ASAN strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=EIO:signal=SIGKILL:when=5 \
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/kill2" $OPTS; :) > /dev/null 2>&1
left=$(find "$T/kill2/runs" -name '.tmp-*' | wc -l)
[ "$left" -eq 1 ] && [ -z "$(find "$T/kill2/runs" -name probe.json)" ] && ok "killed in the sync pass: one private directory, nothing committed" \
  || fail "kill in the sync pass left $left private directories"
run "$T/kill2" 2> "$T/kill2.err" || { fail "resume after the second kill"; cat "$T/kill2.err"; }
same_dirs "$T/ref" "$T/kill2" && [ -z "$(find "$T/kill2" -name '*.tmp-*')" ] \
  && ok "resume removed the private directory, identical to the reference" || { fail "second resume differs"; head "$T/diff.txt"; }

# --- --keep-runs answers: nothing is synced while the job runs; what stays, at its end ----------
# A probe's files and probe.json are written without syncs; the files of the probes the job
# does not keep are removed unsynced (a sync there is the cost this mode avoids); when the job
# ends, every file that stays is synced, then its directories, before results.csv lists the job.
A="--keep-runs answers"
run "$T/aref" $A 2> "$T/aref.err" || { fail "answers reference run"; cat "$T/aref.err"; }
ASAN_OPTIONS=$TRACED_ASAN strace -f -qq -y -o "$T/atrace.txt" -e trace=openat,open,creat,fdatasync,fsync,$RENAMES \
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/atraced" $OPTS $A 2> "$T/atraced.err" \
  || { fail "traced answers run"; cat "$T/atraced.err"; }
same_dirs "$T/aref" "$T/atraced" && ok "traced answers run identical to its reference" || { fail "traced answers run differs"; head "$T/diff.txt"; }
python3 - "$T/atrace.txt" "$T/atraced" > "$T/aorder.txt" <<'PY'
import os, re, sys
lines, out = open(sys.argv[1]).read().splitlines(), sys.argv[2]
calls, pend = [], {}
for ln in lines:
    pid, rest = ln.split(None, 1)
    if rest.endswith("<unfinished ...>"):
        pend[pid] = rest[: -len("<unfinished ...>")]
        continue
    m = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
    if m:
        rest = pend.pop(pid, "") + m.group(1)
    calls.append(rest)
synced, born, bad, csv, moved = {}, {}, [], -1, set()  # path -> index of its last sync / creation or rename
for i, c in enumerate(calls):
    m = re.match(r"(fsync|fdatasync)\(\d+<(.*)>\) = 0", c)
    if m:
        synced[m.group(2)] = i
        continue
    m = re.match(r"open(?:at)?\(.*?\"(.*?)\", [^)]*O_CREAT[^)]*\) = \d+", c)
    if m:
        born[m.group(1)] = i
        continue
    m = re.match(r"rename(?:at2?)?\((?:\w+<[^>]*>, )?\"(.*?)\", (?:\w+<[^>]*>, )?\"(.*?)\"", c)
    if m:
        src, dst = m.group(1), m.group(2)
        moved.add(src)
        born[dst] = i
        for p in [p for p in born if p.startswith(src + "/")]:
            born[dst + p[len(src):]] = born[p]
        if dst.endswith("/results.csv"):
            csv = i
for p in synced:
    if "/runs/" in p and p not in moved and not os.path.exists(p):
        bad.append("synced, then removed (files answers does not keep are never synced): " + p)
kept = dirs = 0
for root, ds, fs in os.walk(os.path.join(out, "runs")):
    for f in fs:
        p = os.path.join(root, f)
        if f in ("output.log", "job.json", "key.json", ".lock"):
            continue
        kept += 1
        if not born.get(p, 1 << 60) < synced.get(p, -1) < csv:
            bad.append("kept but not synced after it was written, before results.csv: " + p)
    for d in ds:
        p = os.path.join(root, d)
        if re.search(r"/r\d+_q[^/]*(/|$)", p):
            dirs += 1
            last = max([synced.get(os.path.join(r, f), -1) for r, _, fl in os.walk(p) for f in fl] + [-1])
            if not last < synced.get(p, -1) < csv:
                bad.append("directory not synced after its files, before results.csv: " + p)
print("%d kept files, %d directories checked" % (kept, dirs))
for b in bad[:10]:
    print("BAD", b)
sys.exit(1 if bad or kept < 40 else 0)
PY
if [ $? -eq 0 ]; then ok "answers: $(head -1 "$T/aorder.txt")"; else fail "answers: sync order"; cat "$T/aorder.txt"; fi

# a kill at the second probe.json commit (the first probe's files written, not synced)
n=$(grep -E "^[0-9]+ +($(echo $RENAMES | tr , '|'))\(" "$T/atrace.txt" | grep -n 'probe\.json"' | sed -n 2p | cut -d: -f1)
(ASAN_OPTIONS=$TRACED_ASAN strace -f -qq -o /dev/null -e trace=$RENAMES -e inject=$RENAMES:error=EIO:signal=SIGKILL:when=$n \
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/akill" $OPTS $A; :) > /dev/null 2>&1
[ -n "$n" ] && [ "$(find "$T/akill/runs" -name probe.json | wc -l)" -eq 1 ] && ok "answers: killed at the second commit" \
  || fail "answers: the kill at rename '$n' left $(find "$T/akill/runs" -name probe.json | wc -l) probes"
cp -r "$T/akill" "$T/acrash"
run "$T/akill" $A 2> "$T/akill.err" || { fail "answers: resume after the kill"; cat "$T/akill.err"; }
same_dirs "$T/aref" "$T/akill" && grep -q ", 1 reused" "$T/akill.err" \
  && ok "answers: resume after the kill reuses the committed probe, identical to the reference" \
  || { fail "answers: resume after the kill differs"; head "$T/diff.txt"; cat "$T/akill.err"; }
# what a crash (not a kill) could leave of that probe's unsynced files: one truncated, one gone
pj=$(find "$T/acrash/runs" -name probe.json)
pd=$(dirname "$pj")
: > "$(find "$pd" -name request_metrics.csv)"
rm -f "$(find "$pd" -path '*/plots/*' -name '*.csv' | head -1)"
run "$T/acrash" $A 2> "$T/acrash.err" || { fail "answers: resume after the crash"; cat "$T/acrash.err"; }
same_dirs "$T/aref" "$T/acrash" && grep -q "committed probe is damaged" "$pd/output.log" && grep -q ", 0 reused" "$T/acrash.err" \
  && ok "answers: a probe whose unsynced files a crash damaged is simulated again, identical to the reference" \
  || { fail "answers: damaged probe after a crash"; head "$T/diff.txt"; cat "$T/acrash.err"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
