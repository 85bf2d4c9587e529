#!/usr/bin/env bash
# The main job end to end: capsearch --config sweep.yml --output-dir out.
#  - runs a small sweep to completion; results.csv rows, statuses, run-directory layout
#  - a failed job is named on stderr with its reason, also by a --shard run
#  - -j1 and -j2 give byte-identical results.csv and run files (output.log and args.json hold
#    wall times and thread counts and are excluded)
#  - a rerun simulates nothing and leaves results.csv unchanged
#  - an output directory holding another sweep is refused (exit 2) unless --force
#  - bad sweeps: unknown scheduler with suggestion, unreadable trace, unknown key (exit 2)
#  - overlong trace rows: clipped and counted by default; `overlong: error` refuses the sweep
#  - the seed's sweep (configs/seed-sweep.yml) expands to 336 jobs with Vidur's hashes
#  - a reduced seed sweep on the Mooncake traces in ../shared/data runs to completion
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -g round_robin -g "ranked_sticky_lop_uncached, top_k: 2" -r vllm_v1:512 -r sarathi:256 -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -t "1, 3" -q "2 2 120" > "$T/sweep.yml"
OPTS="--max-iterations 4 --time-limit 30"

# dry run: the job table
"$BIN" --config "$T/sweep.yml" --dry-run > "$T/dry.txt" 2>&1 || fail "dry-run exit $?"
grep -q "8 jobs (4 runnable, 4 infeasible)" "$T/dry.txt" && ok "dry-run counts" || { fail "dry-run counts"; cat "$T/dry.txt"; }
grep -q "tp 3 does not divide the 32 attention heads" "$T/dry.txt" && ok "dry-run reason" || fail "dry-run reason"
# replicas count in the estimate (each adds its state and output tables to every probe), and a
# replica count whose KV block tables exceed the simulator's bound is infeasible up front
sed 's/num_replicas: 2,/num_replicas: 2000,/' "$T/sweep.yml" > "$T/r2k.yml"
"$BIN" --config "$T/r2k.yml" --dry-run > "$T/r2k.txt" 2>&1 || fail "dry-run 2000 replicas exit $?"
cpu_of() { sed -n 's/.*requests: about \([0-9.]*\)\([a-z]*\) CPU.*/\1 \2/p' "$1" |
  awk '{ m = $2 == "m" || $2 == "min" ? 60 : $2 == "h" ? 3600 : $2 == "d" ? 86400 : 1; print $1 * m }'; }
awk -v a="$(cpu_of "$T/dry.txt")" -v b="$(cpu_of "$T/r2k.txt")" 'BEGIN { exit !(b > 100 * a) }' \
  && ok "dry-run CPU counts replicas ($(cpu_of "$T/dry.txt") s at 2, $(cpu_of "$T/r2k.txt") s at 2000)" \
  || { fail "dry-run CPU ignores replicas"; tail -n 3 "$T/dry.txt" "$T/r2k.txt"; }
sed 's/num_replicas: 2,/num_replicas: 500000,/' "$T/sweep.yml" > "$T/r500k.yml"
"$BIN" --config "$T/r500k.yml" --dry-run > "$T/r500k.txt" 2>&1 || fail "dry-run 500000 replicas exit $?"
grep -q "8 jobs (0 runnable, 8 infeasible)" "$T/r500k.txt" \
  && grep -q "500000 replicas x 30208 KV blocks each exceed the 268435456 blocks a simulation holds" "$T/r500k.txt" \
  && ok "dry-run: replicas beyond the simulator's memory bound are infeasible" \
  || { fail "500000 replicas"; cat "$T/r500k.txt"; }

# run at -j1 and -j2
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o1" -j1 $OPTS 2> "$T/o1.err"; rc=$?
[ $rc -eq 0 ] && ok "-j1 run exit 0" || { fail "-j1 run exit $rc"; cat "$T/o1.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o2" -j2 $OPTS 2> "$T/o2.err"; rc=$?
[ $rc -eq 0 ] && ok "-j2 run exit 0" || { fail "-j2 run exit $rc"; cat "$T/o2.err"; }
head -1 "$T/o1/results.csv" | grep -q '^job_hash,model,trace,device,network_device,gpus_per_node,global_scheduler,tolerance_factor,top_k,request_queue,replica_scheduler,chunk_size,tp,pp,batch_size,slo_name,search_for,num_replicas,start_qps,num_requests,num_gpus,price_per_gpu_hour,cost_per_hour,answer_qps,answer_replicas,qps_per_dollar,probes,status,reason,length_limit,overlong_rows,overlong_policy,answer_kind,sustained_qps$' \
  && ok "results.csv header" || fail "results.csv header"
[ "$(tail -n +2 "$T/o1/results.csv" | wc -l)" -eq 8 ] && ok "8 result rows" || fail "result rows"
[ "$(grep -c ',infeasible,' "$T/o1/results.csv")" -eq 4 ] && ok "4 infeasible rows" || fail "infeasible rows"
[ "$(grep -Ec ',(ok|no_pass),' "$T/o1/results.csv")" -eq 4 ] && ok "4 finished searches" || { fail "finished rows"; cat "$T/o1/results.csv"; }
for f in args.json config.json results.csv; do [ -f "$T/o1/$f" ] || fail "missing $f"; done
n_probe=$(find "$T/o1/runs" -name probe.json | wc -l)
n_ts=$(find "$T/o1/runs" -mindepth 3 -maxdepth 3 -type d -name '1970-01-01_00-00-00-*' | wc -l)
[ "$n_probe" -gt 0 ] && [ "$n_probe" -eq "$n_ts" ] && ok "one timestamp dir per committed probe ($n_probe)" || fail "probe dirs $n_probe vs $n_ts"
first=$(find "$T/o1/runs" -name probe.json | head -1 | xargs dirname)
for f in output.log; do [ -f "$first/$f" ] || fail "missing $first/$f"; done
ts=$(ls -d "$first"/1970-* | head -1)
for f in config.json request_metrics.csv plots/prefill_e2e_time.csv; do [ -f "$ts/$f" ] || fail "missing $ts/$f"; done
[ "$(find "$T/o1/runs" -maxdepth 2 -name job.json | wc -l)" -eq 8 ] && ok "job.json for every job" || fail "job.json count"
if diff -r -x output.log -x args.json "$T/o1" "$T/o2" > "$T/diff.txt"; then ok "-j1 and -j2 byte-identical"; else fail "-j1 vs -j2 differ"; head -20 "$T/diff.txt"; fi

# rerun = resume with nothing left: no simulation, same results
cp "$T/o1/results.csv" "$T/results.before"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o1" -j2 $OPTS 2> "$T/re.err" || fail "rerun exit $?"
grep -q " 0 probes simulated" "$T/re.err" && ok "rerun simulates nothing" || { fail "rerun simulated"; cat "$T/re.err"; }
cmp -s "$T/results.before" "$T/o1/results.csv" && ok "rerun results identical" || fail "rerun results differ"
# more iterations continue the committed searches: only new probes run
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o1" -j2 --max-iterations 5 --time-limit 30 2> "$T/more.err" || fail "more-iterations exit $?"
grep -Eq " [1-4] probes simulated, 1[0-9] reused" "$T/more.err" && ok "more iterations reuse committed probes" || { fail "more iterations"; cat "$T/more.err"; }

# --shard i/N: two independent processes, then a final run without --shard assembles
"$BIN" --config "$T/sweep.yml" --output-dir "$T/sh" --shard 0/2 $OPTS 2> "$T/sh0.err" &
p0=$!
"$BIN" --config "$T/sweep.yml" --output-dir "$T/sh" --shard 1/2 $OPTS 2> "$T/sh1.err"; rc1=$?
wait $p0; rc0=$?
[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && ok "shards ran" || { fail "shards rc=$rc0/$rc1"; cat "$T/sh0.err" "$T/sh1.err"; }
[ ! -f "$T/sh/results.csv" ] && ok "shards leave results.csv to the final run" || fail "shard wrote results.csv"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/sh" $OPTS 2> "$T/sh.err" || fail "shard assembly exit $?"
grep -q " 0 probes simulated" "$T/sh.err" && ok "assembly simulates nothing" || { fail "assembly simulated"; cat "$T/sh.err"; }
if diff -r -x output.log -x args.json "$T/o2" "$T/sh" > /dev/null; then ok "sharded run byte-identical to one process"; else fail "sharded run differs"; fi
# a failed job is named with its reason on stderr, in a shard run (which writes no results.csv
# to read it from) as in the assembling run: here runs/<hash> is a file, so the job cannot start
bad=$(grep -m1 ',ok,' "$T/o1/results.csv" | cut -d, -f1)
mkdir -p "$T/shf/runs" && echo "not a directory" > "$T/shf/runs/$bad"
for s in 0/2 1/2; do "$BIN" --config "$T/sweep.yml" --output-dir "$T/shf" --shard $s $OPTS 2>> "$T/shf.err"; echo "rc $?" >> "$T/shf.err"; done
grep -q "^capsearch: job [0-9]* ($bad) failed: .*runs/$bad: exists and is not a directory$" "$T/shf.err" \
  && [ "$(grep -c '^rc 1$' "$T/shf.err")" -eq 1 ] && ok "a shard names its failed job and why, exit 1" \
  || { fail "shard failure unexplained"; cat "$T/shf.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/shf" $OPTS 2> "$T/shf2.err"; rc=$?
[ $rc -eq 1 ] && grep -q "^capsearch: job [0-9]* ($bad) failed: .*runs/$bad: exists and is not a directory$" "$T/shf2.err" \
  && ok "the assembling run names it too" || { fail "assembly: rc $rc"; cat "$T/shf2.err"; }

# another sweep in the same output dir
sed 's/value: 1}/value: 2}/' "$T/sweep.yml" > "$T/other.yml"
"$BIN" --config "$T/other.yml" --output-dir "$T/o1" $OPTS 2> "$T/other.err"; rc=$?
[ $rc -eq 2 ] && grep -q "different sweep" "$T/other.err" && ok "other sweep refused" || { fail "other sweep rc=$rc"; cat "$T/other.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o1" --time-limit 10 --max-iterations 4 2> "$T/tl.err"; rc=$?
[ $rc -eq 2 ] && ok "other time limit refused" || fail "other time limit rc=$rc"

# bad sweeps
sed 's/scheduler: sarathi/scheduler: sarati/' "$T/sweep.yml" > "$T/bad1.yml"
"$BIN" --config "$T/bad1.yml" --dry-run > /dev/null 2> "$T/bad1.err"; rc=$?
line=$(grep -n 'scheduler: sarathi' "$T/sweep.yml" | cut -d: -f1)
[ $rc -eq 2 ] && grep -q "did you mean 'sarathi'" "$T/bad1.err" && grep -q "bad1.yml:$line:" "$T/bad1.err" \
  && ok "unknown scheduler: $(cat "$T/bad1.err")" || { fail "unknown scheduler rc=$rc"; cat "$T/bad1.err"; }
sed 's/top_k: 2/top_kk: 2/' "$T/sweep.yml" > "$T/bad2.yml"
"$BIN" --config "$T/bad2.yml" --dry-run > /dev/null 2> "$T/bad2.err"; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean 'top_k'" "$T/bad2.err" && ok "unknown parameter: $(cat "$T/bad2.err")" || { fail "unknown parameter rc=$rc"; cat "$T/bad2.err"; }
sed 's/chat.csv/nope.csv/' "$T/sweep.yml" > "$T/bad3.yml"
"$BIN" --config "$T/bad3.yml" --output-dir "$T/o3" 2> "$T/bad3.err"; rc=$?
[ $rc -eq 2 ] && grep -q "cannot read trace file" "$T/bad3.err" && ok "unreadable trace: $(cat "$T/bad3.err")" || { fail "unreadable trace rc=$rc"; cat "$T/bad3.err"; }
sed 's/identifier: meta-llama/identifier: meta-lama/' "$T/sweep.yml" > "$T/bad4.yml"
"$BIN" --config "$T/bad4.yml" --dry-run > /dev/null 2> "$T/bad4.err"; rc=$?
[ $rc -eq 2 ] && grep -q "models\[0\]" "$T/bad4.err" && ok "unknown model: $(cat "$T/bad4.err")" || { fail "unknown model rc=$rc"; cat "$T/bad4.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/o4" --shard 2/2 > /dev/null 2> "$T/bad5.err"; rc=$?
[ $rc -eq 2 ] && ok "bad --shard refused" || fail "bad --shard rc=$rc"

"$BIN" --config "$T/sweep.yml" --output-dir "$T/o5" --time-limt 5 > /dev/null 2> "$T/opt.err"; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean '--time-limit'" "$T/opt.err" && ok "misspelled flag: $(cat "$T/opt.err")" || { fail "misspelled flag rc=$rc"; cat "$T/opt.err"; }

# trace rows longer than max_seq_len are clipped (Vidur V0's rule), counted in results.csv and
# job.json; `overlong: error` refuses the sweep when it is loaded, naming the trace file and row
sed 's/max_seq_len: 8192/max_seq_len: 256/' "$T/sweep.yml" > "$T/clip.yml"
"$BIN" --config "$T/clip.yml" --output-dir "$T/of" $OPTS 2> "$T/clip.err"; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c ',256,[1-9][0-9]*,clip,' "$T/of/results.csv")" -eq 8 ] && [ "$(grep -c ',failed,' "$T/of/results.csv")" -eq 0 ] \
  && grep -q '"overlong_rows"' "$T/of/runs/$(tail -1 "$T/of/results.csv" | cut -d, -f1)/job.json" \
  && ok "overlong rows clipped and counted" || { fail "overlong clip rc=$rc"; cat "$T/clip.err"; cat "$T/of/results.csv"; }
sed 's/max_seq_len: 8192, /max_seq_len: 256, overlong: error, /' "$T/sweep.yml" > "$T/olerr.yml"
"$BIN" --config "$T/olerr.yml" --dry-run > /dev/null 2> "$T/olerr.err"; rc=$?
[ $rc -eq 2 ] && grep -q "olerr.yml:[0-9]*: traces\[0\] 'chat' (limit: max_seq_len 256): .*chat.csv: row [0-9]*: prefill" "$T/olerr.err" \
  && ok "overlong: error refused: $(cat "$T/olerr.err")" || { fail "overlong: error rc=$rc"; cat "$T/olerr.err"; }
# --wall-budget: stops starting probes, exit 130, unfinished jobs pending; a rerun finishes them
"$BIN" --config "$T/sweep.yml" --output-dir "$T/wb" --wall-budget 0.001 $OPTS 2> "$T/wb.err"; rc=$?
[ $rc -eq 130 ] && grep -q ',pending,' "$T/wb/results.csv" && ok "wall budget: exit 130, pending rows" || { fail "wall budget rc=$rc"; cat "$T/wb.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/wb" $OPTS 2> /dev/null || fail "rerun after wall budget"
cmp -s "$T/o2/results.csv" "$T/wb/results.csv" && ok "rerun after wall budget completes the same results" || fail "wall-budget rerun differs"

# a model from a local Hugging Face config.json (extension)
cat > "$T/llama.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
 "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256,
 "max_position_embeddings": 8192, "torch_dtype": "bfloat16", "hidden_act": "silu"}
JSON
sed 's#{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}#{name: Meta-Llama-3-8B, config: llama.json}#' "$T/sweep.yml" > "$T/hf.yml"
"$BIN" --config "$T/hf.yml" --dry-run > "$T/hf.txt" 2> "$T/hf.err"; rc=$?
[ $rc -eq 0 ] && grep -q "8 jobs (4 runnable, 4 infeasible)" "$T/hf.txt" && ok "model from a local config.json" || { fail "local config.json rc=$rc"; cat "$T/hf.err"; }

# the seed's sweep before its traces exist: --dry-run and a real run both refuse, naming the file
mkdir -p "$T/seed/data/processed_traces"
cp "$SRC/configs/seed-sweep.yml" "$T/seed/sweep.yml"
"$BIN" --config "$T/seed/sweep.yml" --dry-run > "$T/seed0.txt" 2> "$T/seed0.err"; rc=$?
[ $rc -eq 2 ] && grep -q "sweep.yml:62:.*cannot read trace file.*mooncake_conversation_trace.csv" "$T/seed0.err" && ok "seed dry-run without traces refused" || { fail "seed dry-run without traces rc=$rc"; cat "$T/seed0.err"; }
"$BIN" --config "$T/seed/sweep.yml" --output-dir "$T/seed/out" > /dev/null 2> "$T/seed0.err"; rc=$?
[ $rc -eq 2 ] && grep -q "sweep.yml:62:.*cannot read trace file" "$T/seed0.err" && ok "seed run without traces refused" || { fail "seed run without traces rc=$rc"; cat "$T/seed0.err"; }
# the seed's sweep: 336 jobs and Vidur's hashes
for n in conversation toolagent; do cp "$T/chat.csv" "$T/seed/data/processed_traces/mooncake_${n}_trace.csv"; done
"$BIN" --config "$T/seed/sweep.yml" --dry-run > "$T/seed.txt" 2> "$T/seed.err"; rc=$?
[ $rc -eq 0 ] && grep -q "^336 jobs" "$T/seed.txt" && ok "seed sweep: $(tail -1 "$T/seed.txt")" || { fail "seed sweep rc=$rc"; cat "$T/seed.err"; tail -3 "$T/seed.txt"; }
for h in 50fc5a05 a5cc0361 ea25c7ba; do grep -q " $h " "$T/seed.txt" && ok "seed hash $h" || fail "seed hash $h"; done

# a reduced seed sweep on the real Mooncake traces (JSONL read directly)
if [ -f "$DATA/traces/mooncake_conversation_trace.jsonl" ]; then
  mkdir -p "$T/red"
  python3 - "$SRC/configs/seed-sweep.yml" "$T/red/sweep.yml" "$DATA/traces" <<'PY' || fail "reduce seed sweep"
import sys, re
src, dst, data = sys.argv[1:]
s = open(src).read()
s = s.replace("./data/processed_traces/mooncake_conversation_trace.csv", data + "/mooncake_conversation_trace.jsonl")
s = s.replace("./data/processed_traces/mooncake_toolagent_trace.csv", data + "/mooncake_synthetic_trace.jsonl")
s = s.replace("num_requests: 12301", "num_requests: 40").replace("num_requests: 23608", "num_requests: 40")
# one cluster, two routers, one chunk size, one SLO: 4 searches x 2 routers = 8 jobs
s = re.sub(r"  - device: a100\n    network_device: a100_dgx\n    gpus_per_node: 8\n", "", s)
keep = ["round_robin", "ranked_sticky_lop_uncached\n    top_k: 2"]
g = s[s.index("global_schedulers:"):s.index("request_queues:")]
s = s.replace(g, "global_schedulers:\n" + "".join("  - scheduler: %s\n" % k for k in keep) + "\n")
s = s.replace("  - scheduler: vllm_v1\n    chunk_size: 1024\n", "")
sl = s[s.index("slo_configs:"):s.index("traces:")]
s = s.replace(sl, "slo_configs:\n  - name: ttft_p99_10s\n    type: and\n    quantile: 0.99\n    slos:\n      - metric: prefill_e2e_time\n        value: 10\n\n")
open(dst, "w").write(s)
PY
  "$BIN" --config "$T/red/sweep.yml" --output-dir "$T/red/out" -j2 --max-iterations 3 2> "$T/red.err"; rc=$?
  rows=$(tail -n +2 "$T/red/out/results.csv" 2>/dev/null | wc -l)
  done_rows=$(grep -Ec ',(ok|no_pass|infeasible),' "$T/red/out/results.csv" 2>/dev/null)
  [ $rc -eq 0 ] && [ "$rows" -eq 8 ] && [ "$done_rows" -eq 8 ] && ok "reduced seed sweep completed ($(tail -2 "$T/red.err" | head -1))" \
    || { fail "reduced seed sweep rc=$rc rows=$rows done=$done_rows"; tail -5 "$T/red.err"; cat "$T/red/out/results.csv"; }
else
  echo "SKIP: reduced seed sweep (no $DATA/traces)"
fi

echo "$fails failure(s)"
[ $fails -eq 0 ]
