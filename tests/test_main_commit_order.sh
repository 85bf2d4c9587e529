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

echo "$fails failure(s)"
[ $fails -eq 0 ]
