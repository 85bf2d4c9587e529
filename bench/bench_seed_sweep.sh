#!/usr/bin/env bash
# The whole seed sweep at full size (issue 13): configs/seed-sweep.yml (336 jobs: 2 models x
# 2 traces x 2 clusters x 7 routers x 2 chunk sizes x 3 SLOs, 12,301 / 23,608 requests per
# probe, prefix caching) with its traces pointed at the shared Mooncake data. The shared data
# has no tool-agent trace, so mooncake_synthetic_trace.jsonl stands in for it (docs/scaling.md).
# Runs `capsearch --time-limit 180 -j N --keep-runs answers` in a fresh output directory and
# prints the machine, wall, CPU seconds (user + system), peak RSS, jobs by status, probes
# (simulated, stopped early, speculative ones not needed), disk used, the simulation cost by
# model / trace / cluster and the 10 most expensive jobs (from each probe's output.log line
# "simulated in W s wall: E events"; W is wall time, so on a loaded machine events are the
# load-independent measure of a job's cost).
#
# --keep-runs answers because `all` would write up to ~19.8 GB at full size (`--dry-run`
# prints the estimate); answers keeps the deciding probes' run directories (3.96 GB written
# on 2026-12-01, docs/scaling.md; the estimate says 3.97 GB) and every probe's
# probe.json and output.log, so results.csv is the same. Options after `--` come after these
# (e.g. `-- --keep-runs none`, `-- --wall-budget 600`, `-- --full-probes`).
#
#   bench/bench_seed_sweep.sh CAPSEARCH [SHARED_DATA_DIR] [-- extra capsearch options]
#   e.g. bench/bench_seed_sweep.sh build/capsearch ../shared/data
#   BENCH_J=N threads (default 2); BENCH_OUT=DIR keeps the output directory, the generated
#   sweep file and the logs in DIR (which must not exist yet); otherwise a temporary
#   directory is used and removed at the end.
set -u
BIN=${1:?usage: bench_seed_sweep.sh CAPSEARCH [SHARED_DATA_DIR] [-- options]}
shift
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  DATA=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
TR=$(cd "$DATA/traces" 2> /dev/null && pwd) || { echo "missing $DATA/traces" >&2; exit 2; }
for f in mooncake_conversation_trace.jsonl mooncake_synthetic_trace.jsonl; do
  [ -r "$TR/$f" ] || { echo "missing $TR/$f" >&2; exit 2; }
done
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
# The report of a run kept in directory $1 (time, stderr.log, dry-run.txt, out/).
report() {
  local T=$1 user sys rss wall
  read -r user sys rss wall < <(tail -n 1 "$T/time") # after "Command exited with ..."
  [ -n "$wall" ] || echo "process: still running (no times yet)"
  [ -n "$wall" ] && awk -v u="$user" -v s="$sys" -v m="$rss" -v e="$wall" 'BEGIN {
    printf "process: %.1f s wall, %.1f CPU-s (user %.1f + sys %.1f, %.2f cores on average), peak RSS %.1f MB\n",
      e, u + s, u, s, (u + s) / (e > 0 ? e : 1), m / 1024
    printf "derived: that CPU time on 2 otherwise idle cores is ~%.0f min (CPU-s / 2; a loaded machine inflates CPU-s)\n",
      (u + s) / 2 / 60 }'
  grep -E '^capsearch: [0-9]+ (jobs|speculative|committed)' "$T/stderr.log"
  grep -q 'speculative probes' "$T/stderr.log" || echo "speculative probes not needed: 0"
  [ -r "$T/out/results.csv" ] && awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
    {n[$c["status"]]++; p += $c["probes"]}
    END {printf "results.csv: %d jobs:", NR - 1; for (s in n) printf " %s %d", s, n[s]; printf "; %d probes\n", p}' \
    "$T/out/results.csv"
  du -sk "$T/out" | awk '{printf "output directory: %.1f MB\n", $1 / 1024}'
  # one row per job: hash, simulations, stopped early, events, simulation wall (sums over its probes),
  # stopped probes simulated again to the end
  for d in "$T"/out/runs/*/; do
    h=$(basename "$d")
    cat "$d"/r*/output.log 2> /dev/null | awk -v h="$h" '/simulated in/ {
      for (i = 1; i <= NF; i++) { if ($i == "in") w = $(i + 1); if ($i == "events,") e = $(i - 1) }
      n++; W += w; E += e; if (/stopped early/) s++ }
      /simulating to the end/ { x++ }
      END { printf "%s %d %d %d %.3f %d\n", h, n, s, E, W, x }'
  done > "$T/jobs-cost.txt"
  # join with the dry-run listing; the router column may hold a space ("... x3.0", "... k=2")
  awk 'NR == FNR {n[$1] = $2; s[$1] = $3; e[$1] = $4; w[$1] = $5; x[$1] = $6; next}
    $1 ~ /^[0-9]+$/ && ($2 in n) {
      r = $6; for (i = 7; i <= NF - 12; i++) r = r "_" $i
      printf "%s %s %s %s %s x%s %s %s %s %d %d %d %.3f %d\n", $2, $3, $4, $5, r, $(NF - 6), $(NF - 10), $(NF - 9),
        $(NF - 4), n[$2], s[$2], e[$2], w[$2], x[$2] }' "$T/jobs-cost.txt" "$T/dry-run.txt" > "$T/jobs.txt"
  awk '{P += $10; S += $11; E += $12; W += $13; X += $14}
    END {printf "simulations in output.log: %d (%d stopped early, %d of them run again to the end since the\n" \
      "  conclusion of their job quotes them), %.0f M events, %.0f s simulation wall\n", P, S, X, E / 1e6, W}' "$T/jobs.txt"
  echo "cost by model / trace / cluster (replicas, requests per probe):"
  awk '{k = $2 " " $3 " " $4 " " $6 " " $9; j[k]++; p[k] += $10; e[k] += $12; w[k] += $13; E += $12; W += $13}
    END {for (k in j) printf "  %-60s %3d jobs %4d sims %7.0f M events (%4.1f%%) %8.0f s sim wall (%4.1f%%)\n",
      k, j[k], p[k], e[k] / 1e6, 100 * e[k] / (E > 0 ? E : 1), w[k], 100 * w[k] / (W > 0 ? W : 1)}' "$T/jobs.txt" |
    sort -k10 -g -r
  echo "10 most expensive jobs by simulation wall (hash model trace cluster router replicas chunk slo reqs simulations stopped events wall_s reruns):"
  sort -k13 -g -r "$T/jobs.txt" | head -10 | sed 's/^/  /'
  outcomes "$T/out/runs"
}

# Simulation cost by what each simulation was: a passing probe (run to the end), a failing one
# run to the end (it kept its SLO but fell behind or was too short to tell, or it was never
# decided early), a failing one stopped early, or a stopped one run again to the end because
# its job's conclusion quotes it.
outcomes() {
  echo "simulation cost by outcome:"
  cat "$1"/*/r*/output.log 2> /dev/null | awk '/simulating to the end/ {again = 1; next}
    /simulated in/ {
      for (i = 1; i <= NF; i++) { if ($i == "in") w = $(i + 1); if ($i == "events,") e = $(i - 1) }
      k = again ? "stopped, run again to the end" : / -> pass/ ? "passing" : /stopped early/ ? "failing, stopped early" \
        : /\(holds\)/ ? "failing on keep-up only, to the end" : "failing on its SLO, to the end"
      n[k]++; E[k] += e; W[k] += w; TE += e; TW += w; again = 0 }
    END {for (k in n) printf "  %-38s %5d simulations %7.0f M events (%4.1f%%) %8.0f s sim wall (%4.1f%%)\n",
      k, n[k], E[k] / 1e6, 100 * E[k] / (TE > 0 ? TE : 1), W[k], 100 * W[k] / (TW > 0 ? TW : 1)}' | sort -k1,2
}

if [ -n "${BENCH_REPORT:-}" ]; then
  report "$BENCH_REPORT"
  exit 0
fi
if [ -n "${BENCH_OUT:-}" ]; then
  [ -e "$BENCH_OUT" ] && { echo "BENCH_OUT=$BENCH_OUT exists; give a fresh directory" >&2; exit 2; }
  mkdir -p "$BENCH_OUT" && T=$(cd "$BENCH_OUT" && pwd)
else
  T=$(mktemp -d)
  trap 'rm -rf "$T"' EXIT
fi
sed -e "s#\./data/processed_traces/mooncake_conversation_trace\.csv#$TR/mooncake_conversation_trace.jsonl#" \
  -e "s#\./data/processed_traces/mooncake_toolagent_trace\.csv#$TR/mooncake_synthetic_trace.jsonl#" \
  "$SRC/configs/seed-sweep.yml" > "$T/seed-sweep.yml"
[ "$(grep -c "$TR/" "$T/seed-sweep.yml")" = 2 ] || { echo "configs/seed-sweep.yml: trace_file lines not found" >&2; exit 2; }
OPTS=(--time-limit 180 -j "${BENCH_J:-2}" --keep-runs answers "$@")
# the job list (hash -> model, trace, cluster, router, ...) for the per-job table
"$BIN" --config "$T/seed-sweep.yml" --output-dir "$T/out" "${OPTS[@]}" --dry-run > "$T/dry-run.txt" 2>&1 ||
  { cat "$T/dry-run.txt"; exit 1; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
  "$(uname -m), nice $(nice), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "command: capsearch --config seed-sweep.yml --output-dir out ${OPTS[*]}"
grep '^[0-9]* jobs' "$T/dry-run.txt"
/usr/bin/time -f '%U %S %M %e' -o "$T/time" "$BIN" --config "$T/seed-sweep.yml" --output-dir "$T/out" "${OPTS[@]}" \
  2> >(tee "$T/stderr.log" >&2)
rc=$?
sleep 1 # let tee finish
echo "capsearch exit status $rc; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
report "$T"
[ -n "${BENCH_OUT:-}" ] && echo "kept: $T (jobs.txt: one line per job)"
exit "$rc"
