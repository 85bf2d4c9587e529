#!/usr/bin/env bash
# Every command reads its flags through one option table (src/util/opt.h), so:
#  - a bad value of any number flag of any command gets one message style, one line, exit 2:
#    "capsearch: --FLAG: expected WHAT, got 'VALUE'" (before, 7 local parsers: atoi took "2x" as
#    2, strtod took "0x10" as 16 and "1e999" as infinity, some said "invalid value")
#  - --time-limit is one number with a unit: minutes for the sweep, seconds for simulate, and a
#    suffix (90s, 2min, 1h) means the same on both; the sweep converts it to seconds once
#  - --help of every command lists every flag the command accepts (the completions read it)
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"

# case CMD... -- FLAG VALUE: one line "capsearch: FLAG: expected ..., got 'VALUE'", exit 2
bad_value() {
  local args=() flag val
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  flag=$2 val=$3
  "$BIN" "${args[@]}" "$flag" "$val" > "$T/o" 2> "$T/e" < /dev/null
  local rc=$? want="capsearch: $flag: expected .*, got '$val'"
  if [ $rc -eq 2 ] && [ "$(wc -l < "$T/e")" -eq 1 ] && grep -Eq -- "^$want" "$T/e" && [ ! -s "$T/o" ]; then
    ok "${args[*]} $flag $val: $(cat "$T/e")"
  else
    fail "${args[*]} $flag $val: exit $rc, stderr: $(head -c 300 "$T/e")"
  fi
}
P=(--model meta-llama/Meta-Llama-3-8B --device h100)
bad_value --config x.yml -- --max-iterations 1e12
bad_value --config x.yml -- --time-limit nan
bad_value simulate "${P[@]}" -- --tp 0x10
bad_value simulate "${P[@]}" -- --qps 1e999
bad_value simulate "${P[@]}" -- --time-limit -5s
bad_value plan "${P[@]}" -- --tp 99999999999999999999
bad_value plan "${P[@]}" -- --block-size 16.5
bad_value recommend --model meta-llama/Meta-Llama-3-8B --workload chat --qps 1 -- --max-tp 2x
bad_value recommend --model meta-llama/Meta-Llama-3-8B --workload chat --qps 1 -- --ttft-slo 200us
bad_value analyze "$T" -- --target-qps 1e999
bad_value analyze "$T" -- --headroom nan
bad_value report "$T" -- --headroom -1
bad_value trace info "$T/chat.csv" -- --block-size 1e400
bad_value trace convert "$T/chat.csv" -o "$T/c.csv" -- --max-rows 0
bad_value trace generate -o "$T/g.csv" -- --qps 1e999
bad_value trace generate -o "$T/g.csv" -- --requests 2.5
bad_value trace generate -o "$T/g.csv" -- --arrival burst
bad_value predictor time "${P[@]}" --batch 1@0p -- --tp 2x
bad_value predictor time "${P[@]}" --batch 1@0p -- --stage -1

# simulate's YAML file: the same bounds as its flags (tp 4294967297 ran as tp 1 through an int cast)
printf 'model: meta-llama/Meta-Llama-3-8B\ndevice: h100\ntp: 4294967297\n' > "$T/sim.yml"
"$BIN" simulate --config "$T/sim.yml" --output-dir "$T/simbad" > /dev/null 2> "$T/e"
[ $? -eq 2 ] && grep -q "sim.yml:3:5: tp: 4294967297 is out of range (expected an integer from 1 to 1024)" "$T/e" \
  && ok "simulate YAML: tp out of range names file:line:col" || fail "simulate YAML tp: $(cat "$T/e")"
printf 'model: meta-llama/Meta-Llama-3-8B\ndevice: h100\nworkload: {qps: 2, num_requets: 5}\n' > "$T/sim.yml"
"$BIN" simulate --config "$T/sim.yml" --output-dir "$T/simbad" > /dev/null 2> "$T/e"
[ $? -eq 2 ] && grep -q "unknown key 'num_requets' in workload (did you mean 'num_requests'?)" "$T/e" \
  && ok "simulate YAML: a misspelled workload key is suggested" || fail "simulate YAML key: $(cat "$T/e")"

printf 'model: meta-llama/Meta-Llama-3-8B\ndevice: h100\nworkload: {arrival: gama}\n' > "$T/sim.yml"
"$BIN" simulate --config "$T/sim.yml" --output-dir "$T/simbad" > /dev/null 2> "$T/e"
[ $? -eq 2 ] && grep -q "sim.yml:3:21: workload.arrival: unknown arrival process 'gama' (did you mean 'gamma'?)" "$T/e" \
  && ok "simulate YAML: a misspelled arrival process names file:line:col" || fail "simulate YAML arrival: $(cat "$T/e")"

# --time-limit: one unit each, suffixes mean the same everywhere, converted once
cat > "$T/sweep.yml" << 'YML'
clusters:
  - {device: h100, network_device: h100_dgx, gpus_per_node: 8}
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]
slo_configs:
  - {name: ttft, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 1}]}
traces:
  - {name: chat, trace_file: chat.csv, max_seq_len: 8192}
batch_sizes: [64]
tp_dimensions: [1]
pp_dimensions: [1]
models:
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 4, num_requests: 50}
YML
for tl in 0.5 30s; do
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/tl$tl" --time-limit "$tl" --max-iterations 1 -j1 2> "$T/tl.err" \
    || fail "--time-limit $tl: exit $? $(tail -c 300 "$T/tl.err")"
done
grep -q '"time_limit": 0.5' "$T/tl30s/args.json" && ok "--time-limit 30s is recorded as 0.5 minutes" \
  || fail "args.json: $(grep time_limit "$T/tl30s/args.json")"
grep -rqs '"time_limit_s": 30[,}]' "$T/tl30s/runs" && ok "job.json time_limit_s is 30" \
  || fail "job.json time_limit_s: $(grep -rhos '"time_limit_s": [^,]*' "$T/tl30s/runs" | head -1)"
cmp -s "$T/tl0.5/results.csv" "$T/tl30s/results.csv" && ok "--time-limit 0.5 and 30s give the same results" \
  || fail "--time-limit 0.5 and 30s differ"
for tl in 60 1min 60s; do
  "$BIN" simulate "${P[@]}" --num-requests 5 --time-limit "$tl" --output-dir "$T/sim$tl" --no-timestamp \
    > /dev/null 2> "$T/sim.err" || fail "simulate --time-limit $tl: $(tail -c 300 "$T/sim.err")"
done
grep -q '"time_limit": 60' "$T/sim60/config.json" && cmp -s "$T/sim60/config.json" "$T/sim1min/config.json" \
  && cmp -s "$T/sim60/config.json" "$T/sim60s/config.json" && ok "simulate: --time-limit 60 = 1min = 60s" \
  || fail "simulate --time-limit: $(grep time_limit "$T/sim60/config.json" "$T/sim1min/config.json")"

# a --time-limit shorter than the arrivals (50 requests at 4 QPS: 12.5 s) is warned about, in
# --dry-run and in the run, naming the flag and the span; the no_pass reason says the limit cut
# the runs instead of blaming the SLO alone; the help says 0 means no limit
"$BIN" --config "$T/sweep.yml" --dry-run --time-limit 5s > /dev/null 2> "$T/tlw.err"
grep -q "warning: --time-limit (5 s simulated) is shorter than the arrivals of search_configs\[0\] .* arrive over about 12.5 s" \
  "$T/tlw.err" && ok "--dry-run warns that --time-limit 5s cuts a 12.5 s arrival span" || fail "no dry-run warning: $(cat "$T/tlw.err")"
"$BIN" --config "$T/sweep.yml" --dry-run --time-limit 0 > /dev/null 2> "$T/tl0.err"
grep -q "time-limit" "$T/tl0.err" && fail "--time-limit 0 (no limit) warned: $(cat "$T/tl0.err")" || ok "--time-limit 0: no warning"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/tlcut" --time-limit 5s --max-iterations 2 -j1 2> "$T/tlcut.err"
grep -q "warning: --time-limit (5 s simulated)" "$T/tlcut.err" && ok "the run warns too" || fail "run: no warning"
grep -q ',no_pass,.*the run hit --time-limit (ended at [0-9.]* s simulated, [0-9]* requests arrived' "$T/tlcut/results.csv" \
  && ok "no_pass reason says the time limit cut the run" || fail "reason: $(tail -1 "$T/tlcut/results.csv")"
"$BIN" sweep --help | grep -q "0 = no limit" && ok "sweep --help: --time-limit 0 = no limit" || fail "--help lacks 0 = no limit"

# --help lists every flag, and each one listed is accepted (the bash completion reads --help)
for cmd in "" simulate plan recommend analyze report list "trace info" "trace convert" "trace generate" \
  "predictor check" "predictor time"; do
  read -r -a words <<< "$cmd"
  flags=$("$BIN" "${words[@]}" --help 2> /dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  [ -z "$cmd" ] && flags=$("$BIN" sweep --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  unknown=""
  for f in $flags; do
    "$BIN" "${words[@]}" "$f" x y > /dev/null 2> "$T/e" < /dev/null
    grep -q "unknown option" "$T/e" && unknown="$unknown $f"
  done
  [ -z "$unknown" ] && ok "${cmd:-sweep}: every flag of --help is accepted" || fail "${cmd:-sweep}: unknown:$unknown"
done
# a value-taking flag never swallows the next option: "--output-dir --dry-run" once ran the
# whole sweep into ./--dry-run (exit 0); a repeated single-valued flag once silently took the last
(cd "$T" && "$BIN" --config "$T/sweep.yml" --output-dir --dry-run > "$T/sw.out" 2> "$T/sw.err"); rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/--dry-run" ] && grep -q "^capsearch: --output-dir expects .*, got the option '--dry-run'" "$T/sw.err" \
  && ok "--output-dir --dry-run refused: $(cat "$T/sw.err")" || fail "--output-dir --dry-run: rc=$rc $(head -c 300 "$T/sw.err")"
"$BIN" --config --dry-run --output-dir "$T/x" > /dev/null 2> "$T/sw.err"; rc=$?
[ $rc -eq 2 ] && grep -q "^capsearch: --config expects .*, got the option '--dry-run'" "$T/sw.err" \
  && ok "--config --dry-run refused" || fail "--config --dry-run: rc=$rc $(cat "$T/sw.err")"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/a" --output-dir "$T/b" --dry-run > /dev/null 2> "$T/sw.err"; rc=$?
[ $rc -eq 2 ] && grep -q "^capsearch: option '--output-dir' given more than once" "$T/sw.err" \
  && ok "repeated --output-dir refused" || fail "repeated --output-dir: rc=$rc $(cat "$T/sw.err")"
"$BIN" trace generate -o --seed 3 > /dev/null 2> "$T/sw.err"; rc=$?
[ $rc -eq 2 ] && grep -q "^capsearch: -o expects .*, got the option '--seed'" "$T/sw.err" \
  && ok "trace generate -o --seed refused" || fail "trace generate -o --seed: rc=$rc $(cat "$T/sw.err")"

echo "$fails failure(s)"
[ $fails -eq 0 ]
