#!/usr/bin/env bash
# Expert parallelism in the sweep (ep_dimensions; docs/disaggregation.md, "Expert parallelism"):
# a small Mixtral-8x7B sweep on one DGX H100 node beside a dense model.
#  - every job is tried at each EP size; ep 1 jobs keep the key and hash they have without
#    ep_dimensions, ep > 1 jobs add "_ep<N>" to the key
#  - --dry-run shows the EP column and why a job cannot use EP (dense model, EP not dividing the
#    experts, EP not a multiple of TP); ep = tp x dp counts the data-parallel attention GPUs
#  - results.csv gains ep and dp columns only with ep_dimensions; -j1 and -j2 agree byte for byte;
#    job.json records them; analyze labels the jobs and counts a wide-EP replica's GPUs
#  - a Vidur V0 file with ep_dimensions is refused at the key
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cat > "$T/ep.yml" <<'YML'
clusters:
  - {device: h100, network_device: h100_dgx, gpus_per_node: 8}
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]
slo_configs:
  - name: ttft_p90_2s
    type: and
    quantile: 0.9
    slos: [{metric: prefill_e2e_time, value: 2}]
traces:
  - {name: chat, trace_file: chat.csv, max_seq_len: 8192}
batch_sizes: [64]
tp_dimensions: [1, 8]
pp_dimensions: [1]
ep_dimensions: [1, 8]
models:
  - {name: Mixtral-8x7B, identifier: mistralai/Mixtral-8x7B-v0.1}
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
  - {trace: chat, model: Mixtral-8x7B, search_for: qps, num_replicas: 1, qps: 2, num_requests: 150}
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 2, num_requests: 150}
YML
grep -v '^ep_dimensions' "$T/ep.yml" > "$T/noep.yml"
OPTS="--max-iterations 3 --time-limit 30"

"$BIN" --config "$T/ep.yml" --dry-run > "$T/dry.txt" 2>&1 || fail "dry-run exit $?"
grep -q "^8 jobs (5 runnable, 3 infeasible)" "$T/dry.txt" && ok "8 jobs, 3 infeasible" || { fail "job counts"; cat "$T/dry.txt"; }
grep -q ' tp  pp  ep    R  gpus ' "$T/dry.txt" && ok "dry-run has an ep column" || fail "no ep column"
grep -q 'infeasible: Mixtral-8x7B does not fit on h100 at tp 1 pp 1: the weights alone' "$T/dry.txt" &&
  ok "Mixtral on one GPU without EP does not fit" || fail "tp1 ep1 reason"
[ "$(grep -c 'ep 8: Meta-Llama-3-8B is not a mixture-of-experts model' "$T/dry.txt")" -eq 2 ] &&
  ok "a dense model gets no EP" || fail "dense model reason"
# tp 1 ep 8: eight data-parallel attention ranks, 8 GPUs a replica; tp 8 ep 8: EP over the TP ranks
grep -Eq '^1 +[0-9a-f]{8} Mixtral-8x7B .* +1 +1 +8 +1 +8 +150 .* runnable' "$T/dry.txt" && ok "wide EP counts 8 GPUs" ||
  fail "tp1 ep8 row"
key=Mixtral-8x7B_chat_tk8192_h100_dgx_round_robin_fcfs_vllm_v1_cs512_tp1_pp1_bsz64_slottft_p90_2s_searchqps_q2_reqs150_ep8
h=$(printf '%s' "$key" | sha1sum | cut -c1-8)
grep -Eq "^1 +$h " "$T/dry.txt" && ok "ep 8 key ends in _ep8 ($h)" || fail "no job 1 with hash $h ($key)"
"$BIN" --config "$T/noep.yml" --dry-run > "$T/dry0.txt" 2>&1 || fail "dry-run without ep exit $?"
grep -q '  ep ' "$T/dry0.txt" && fail "ep column without ep_dimensions" || ok "no ep column without ep_dimensions"
a=$(awk '$1 ~ /^[0-9]+$/ && length($2) == 8 && $2 ~ /^[0-9a-f]+$/ {print $2}' "$T/dry0.txt" | sort | tr '\n' ' ')
b=$(awk '$1 ~ /^[0-9]+$/ && length($2) == 8 && $2 ~ /^[0-9a-f]+$/ && $12 == 1 {print $2}' "$T/dry.txt" | sort | tr '\n' ' ')
[ -n "$a" ] && [ "$a" = "$b" ] && ok "ep 1 jobs keep their hashes" || fail "ep 1 hashes '$b' != '$a'"

sed 's/^ep_dimensions: .*/ep_dimensions: [4, 16]/' "$T/ep.yml" > "$T/bad.yml"
"$BIN" --config "$T/bad.yml" --dry-run > "$T/bad.txt" 2>&1 || fail "dry-run (bad ep) exit $?"
grep -q 'infeasible: ep 16 does not divide the 8 experts of Mixtral-8x7B' "$T/bad.txt" && ok "ep 16 of 8 experts" ||
  fail "ep 16 reason"
grep -q 'infeasible: ep 4 is not a multiple of tp 8' "$T/bad.txt" && ok "ep 4 at tp 8" || fail "ep 4 reason"

"$BIN" --config "$T/ep.yml" --output-dir "$T/o1" -j1 $OPTS 2> "$T/o1.err"; rc=$?
[ $rc -eq 0 ] && ok "-j1 run exit 0" || { fail "-j1 run exit $rc"; cat "$T/o1.err"; }
"$BIN" --config "$T/ep.yml" --output-dir "$T/o2" -j2 $OPTS 2> "$T/o2.err"; rc=$?
[ $rc -eq 0 ] && ok "-j2 run exit 0" || { fail "-j2 run exit $rc"; cat "$T/o2.err"; }
R=$T/o1/results.csv
cmp -s "$R" "$T/o2/results.csv" && ok "-j1 and -j2 results.csv identical" || fail "-j1/-j2 results differ"
head -1 "$R" | grep -q ',sustained_qps,ep,dp$' && ok "results.csv ends in ep,dp" || fail "header: $(head -1 "$R")"
row=$(grep "^$h," "$R")
echo "$row" | grep -Eq ',ok,.*,8,8$' && ok "wide EP job ok with ep 8 dp 8" || fail "wide EP row: $row"
[ "$(echo "$row" | cut -d, -f21)" = 8 ] && ok "wide EP job counts 8 GPUs" || fail "num_gpus: $row"
[ "$(grep -c ',ok,.*,1,1$' "$R")" -eq 3 ] && ok "3 jobs without EP ran" || fail "ep 1 rows"
grep -q '"ep": 8' "$T/o1/runs/$h/job.json" && grep -q '"dp": 8' "$T/o1/runs/$h/job.json" && ok "job.json has ep and dp" ||
  fail "job.json: $(cat "$T/o1/runs/$h/job.json")"
"$BIN" analyze "$T/o1" > "$T/an.txt" 2>&1 || fail "analyze exit $?"
B=$T/o1/analysis/best.csv
grep -q "^Mixtral-8x7B,.*,$h,h100 tp1 pp1 ep8/dp8 r1 .*,ok,results.csv,[0-9.]*,1,8," "$B" &&
  ok "analyze: the wide EP job labelled, on 8 GPUs" || { fail "analyze label"; grep "$h" "$B"; }
grep -q "^Mixtral-8x7B,.*,h100 tp8 pp1 ep8 r1 .*,ok," "$B" && ok "analyze: EP over the TP ranks labelled" ||
  fail "tp8 ep8 label"
grep -q "^Mixtral-8x7B,.*,h100 tp8 pp1 r1 .*,ok," "$B" && ok "analyze: a job without EP keeps its label" ||
  fail "tp8 label"

cat > "$T/v0.yml" <<'YML'
clusters: [{device: h100, num_gpus: 8, gpus_per_node: 8}]
schedulers: [{scheduler: vllm}]
traces: [{name: chat, trace_file: chat.csv, max_seq_len: 8192, num_requests: 40, start_qps: 2}]
batch_sizes: [64]
tp_dimensions: [8]
pp_dimensions: [1]
ep_dimensions: [8]
models: [{name: Mixtral-8x7B, identifier: mistralai/Mixtral-8x7B-v0.1}]
YML
"$BIN" --config "$T/v0.yml" --dry-run > /dev/null 2> "$T/v0.err"; rc=$?
[ $rc -eq 2 ] && grep -q "v0.yml:7:16: ep_dimensions: not available in a Vidur V0 explorer file" "$T/v0.err" &&
  ok "ep_dimensions in V0 refused" || { fail "V0 ep rc $rc"; cat "$T/v0.err"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
