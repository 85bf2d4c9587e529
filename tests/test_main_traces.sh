#!/usr/bin/env bash
# Traces are checked when the sweep is loaded (and by --dry-run), before any simulation:
#  - a missing, unreadable or empty trace file is an error naming it (exit 2)
#  - rows longer than the job's limit (the trace's max_seq_len or the model's context, which
#    rope_scaling extends) follow the trace's `overlong` policy: clip (default), drop, error
#  - --dry-run reports the overlong rows per trace and estimates requests, probes, CPU, disk
#  - --time-limit nan / inf / 1e999 is refused (exit 2)
#  - the seed's sweep (configs/seed-sweep.yml) pointed at the Mooncake JSONL traces of
#    ../shared/data: --dry-run exits 0 reporting overlong rows per trace, and a reduced run
#    ends with 0 failed jobs (skipped, exit 77, without the shared data)
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -s "$(cs_slo e2e request_e2e_time 60)" -q "1 1 50" > "$T/sweep.yml"

for v in nan inf 1e999 -inf; do
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/tl" --time-limit "$v" > /dev/null 2> "$T/tl.err"; rc=$?
  [ $rc -eq 2 ] && grep -Eq -- "--time-limit: (expected finite|expected a number|.* is too large)" "$T/tl.err" && [ ! -e "$T/tl/config.json" ] \
    && ok "--time-limit $v refused" || { fail "--time-limit $v rc=$rc"; cat "$T/tl.err"; }
done

: > "$T/empty.csv"
sed 's/trace_file: chat.csv/trace_file: empty.csv/' "$T/sweep.yml" > "$T/empty.yml"
"$BIN" --config "$T/empty.yml" --dry-run > /dev/null 2> "$T/empty.err"; rc=$?
[ $rc -eq 2 ] && grep -q "empty.yml:[0-9]*: traces\[0\] 'chat'.*empty.csv: empty file" "$T/empty.err" \
  && ok "empty trace refused: $(cat "$T/empty.err")" || { fail "empty trace rc=$rc"; cat "$T/empty.err"; }
sed 's/trace_file: chat.csv/trace_file: nope.csv/' "$T/sweep.yml" > "$T/nope.yml"
"$BIN" --config "$T/nope.yml" --dry-run > /dev/null 2> "$T/nope.err"; rc=$?
[ $rc -eq 2 ] && grep -q "nope.yml:[0-9]*:[0-9]*: traces\[0\]: cannot read trace file.*nope.csv" "$T/nope.err" \
  && ok "missing trace refused at --dry-run" || { fail "missing trace rc=$rc"; cat "$T/nope.err"; }

# the model's context limit, extended by rope_scaling (YaRN: factor x original positions)
cat > "$T/yarn.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
 "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256,
 "max_position_embeddings": 512, "torch_dtype": "bfloat16", "hidden_act": "silu",
 "rope_scaling": {"type": "yarn", "factor": 2.0, "original_max_position_embeddings": 512}}
JSON
sed 's#{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}#{name: yarn, config: yarn.json}#; s/model: Meta-Llama-3-8B/model: yarn/' \
  "$T/sweep.yml" > "$T/yarn.yml"
"$BIN" --config "$T/yarn.yml" --dry-run > "$T/yarn.txt" 2> "$T/yarn.err"; rc=$?
[ $rc -eq 0 ] && grep -Eq "limit 1024 \(context of yarn\): [1-9][0-9]* of [0-9]+ rows overlong .*-> clipped" "$T/yarn.txt" \
  && ok "YaRN context limit: $(grep 'limit 1024' "$T/yarn.txt")" || { fail "yarn context rc=$rc"; cat "$T/yarn.err" "$T/yarn.txt"; }
sed 's/enable_prefix_caching: true}/enable_prefix_caching: true, overlong: drop}/' "$T/yarn.yml" > "$T/drop.yml"
"$BIN" --config "$T/drop.yml" --dry-run > "$T/drop.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "rows overlong .*-> dropped" "$T/drop.txt" && ok "overlong: drop" || { fail "overlong drop rc=$rc"; cat "$T/drop.txt"; }
"$BIN" --config "$T/drop.yml" --output-dir "$T/drop" --max-iterations 2 2> "$T/drop.err"; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c ',failed,' "$T/drop/results.csv")" -eq 0 ] && grep -q ',1024,[1-9][0-9]*,drop,' "$T/drop/results.csv" \
  && ok "dropped rows: run finishes, results.csv counts them" || { fail "drop run rc=$rc"; cat "$T/drop.err" "$T/drop/results.csv"; }
sed 's/overlong: drop/overlong: dorp/' "$T/drop.yml" > "$T/badpol.yml"
"$BIN" --config "$T/badpol.yml" --dry-run > /dev/null 2> "$T/badpol.err"; rc=$?
[ $rc -eq 2 ] && grep -q "traces\[0\].overlong: unknown overlong policy 'dorp' (did you mean 'drop'?)" "$T/badpol.err" \
  && ok "unknown overlong policy" || { fail "bad policy rc=$rc"; cat "$T/badpol.err"; }

# --dry-run estimates: per job requests / probes / CPU / disk, and the total
"$BIN" --config "$T/sweep.yml" --dry-run > "$T/dry.txt" 2>&1
grep -Eq "^1 jobs \(1 runnable, 0 infeasible\); at most 10 probes simulating 500 requests: about [0-9.]+[smh] CPU, [0-9.]+[kMG] disk" "$T/dry.txt" \
  && ok "dry-run totals: $(grep '^1 jobs' "$T/dry.txt")" || { fail "dry-run totals"; cat "$T/dry.txt"; }
grep -q "short window: 25 s at the first probe" "$T/dry.txt" && grep -q "^note: 1 job(s)" "$T/dry.txt" \
  && ok "dry-run flags a short arrival window" || { fail "short window note"; cat "$T/dry.txt"; }

if [ ! -f "$DATA/traces/mooncake_conversation_trace.jsonl" ] || [ ! -f "$DATA/traces/mooncake_synthetic_trace.jsonl" ]; then
  echo "SKIP: the seed sweep on real traces (no $DATA/traces)"
  [ $fails -eq 0 ] && exit 77
  exit 1
fi
# the seed's sweep pointed at the shared Mooncake JSONL traces (toolagent -> the synthetic trace)
sed -e "s#\"./data/processed_traces/mooncake_conversation_trace.csv\"#$DATA/traces/mooncake_conversation_trace.jsonl#" \
    -e "s#\"./data/processed_traces/mooncake_toolagent_trace.csv\"#$DATA/traces/mooncake_synthetic_trace.jsonl#" \
    "$SRC/configs/seed-sweep.yml" > "$T/seed.yml"
"$BIN" --config "$T/seed.yml" --dry-run > "$T/seed.txt" 2> "$T/seed.err"; rc=$?
[ $rc -eq 0 ] && grep -q "^336 jobs (336 runnable, 0 infeasible)" "$T/seed.txt" && ok "seed dry-run on the JSONL traces exits 0" \
  || { fail "seed dry-run rc=$rc"; cat "$T/seed.err"; }
grep -q "mooncake_toolagent: .*: 3993 rows, .*; 10 rows over max_seq_len 131072; overlong: clip" "$T/seed.txt" \
  && ok "seed dry-run: 10 synthetic rows over max_seq_len" || { fail "seed overlong vs max_seq_len"; head -6 "$T/seed.txt"; }
for tr in conversation toolagent; do
  grep -A1 "^  mooncake_$tr:" "$T/seed.txt" | grep -Eq "limit 8192 \(context of Meta-Llama-3-8B Meta-Llama-3-70B\): [1-9][0-9]* of [0-9]+ rows overlong" \
    && ok "seed dry-run: $tr overlong rows reported" || { fail "seed $tr overlong"; head -6 "$T/seed.txt"; }
done
# reduced: one cluster, router, chunk size and SLO; 60 requests; every search still runs
python3 - "$T/seed.yml" "$T/red.yml" <<'PY' || fail "reduce seed sweep"
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"num_requests: \d+", "num_requests: 60", s)
s = re.sub(r"  - device: a100\n    network_device: a100_dgx\n    gpus_per_node: 8\n", "", s)
g = s[s.index("global_schedulers:"):s.index("request_queues:")]
s = s.replace(g, "global_schedulers:\n  - scheduler: round_robin\n\n")
s = s.replace("  - scheduler: vllm_v1\n    chunk_size: 1024\n", "")
sl = s[s.index("slo_configs:"):s.index("traces:")]
s = s.replace(sl, "slo_configs:\n  - name: ttlt_p99_60s\n    type: and\n    quantile: 0.99\n    slos:\n      - metric: request_e2e_time\n        value: 60\n\n")
open(sys.argv[2], "w").write(s)
PY
"$BIN" --config "$T/red.yml" --output-dir "$T/red" -j2 --max-iterations 3 2> "$T/red.err"; rc=$?
rows=$(tail -n +2 "$T/red/results.csv" 2> /dev/null | wc -l)
failed=$(grep -c ',failed,' "$T/red/results.csv" 2> /dev/null)
[ $rc -eq 0 ] && [ "$rows" -eq 4 ] && [ "$failed" -eq 0 ] && [ "$(grep -c ',8192,[1-9][0-9]*,clip,' "$T/red/results.csv")" -eq 4 ] \
  && ok "reduced seed sweep: 4 jobs, 0 failed ($(grep 'jobs:' "$T/red.err"))" \
  || { fail "reduced seed sweep rc=$rc rows=$rows failed=$failed"; tail -5 "$T/red.err"; cat "$T/red/results.csv"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
