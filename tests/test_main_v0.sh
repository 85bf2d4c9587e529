#!/usr/bin/env bash
# Vidur's V0 config-explorer YAML (reference §7.2-§7.4) runs unchanged:
#  - --dry-run lists V0's jobs: product models x traces x clusters x schedulers x tp x pp x batch,
#    num_replicas = num_gpus // (tp*pp), kept iff > 0 and tp <= gpus_per_node
#  - job hashes are sha1(V0 key)[:8] (keys written out by hand below)
#  - stderr says the file was translated from V0's schema
#  - V0 and V1 keys mixed in one file: exit 2 naming file:line:col
#  - a tiny real run finishes with exit 0 and the job's replica count in results.csv
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cat > "$T/v0.yml" <<'YML'
clusters:
  - {device: h100, num_gpus: 8, gpus_per_node: 8}
  - {device: a100, num_gpus: 3, gpus_per_node: 2}
schedulers:
  - {scheduler: vllm}
  - {scheduler: sarathi, chunk_size: 512}
traces:
  - {name: chat, trace_file: chat.csv, max_seq_len: 8192, num_requests: 40, start_qps: 2}
batch_sizes: [64]
tp_dimensions: [1, 2, 4]
pp_dimensions: [1, 2]
models:
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
YML
"$BIN" --config "$T/v0.yml" --dry-run > "$T/dry.txt" 2> "$T/dry.err"; rc=$?
[ $rc -eq 0 ] && ok "V0 dry-run exit 0" || { fail "V0 dry-run exit $rc"; cat "$T/dry.err"; }
grep -q "translated from Vidur's V0 explorer schema" "$T/dry.err" && ok "stderr note" || fail "no translation note"
# h100 (8 GPUs): tp1pp1 R8, tp1pp2 R4, tp2pp1 R4, tp2pp2 R2, tp4pp1 R2, tp4pp2 R1 = 6;
# a100 (3 GPUs, 2 per node): tp1pp1 R3, tp1pp2 R1, tp2pp1 R1 (tp2pp2 R0, tp4 > 2 dropped) = 3; x 2 schedulers
grep -q "^18 jobs (18 runnable, 0 infeasible)" "$T/dry.txt" && ok "18 V0 jobs" || { fail "V0 job count"; cat "$T/dry.txt"; }
# the R column of the job table, in V0's order (tp, pp nested inside cluster x scheduler)
reps=$(grep -Eo ' v0_scheduling_delay_p99_5s +[0-9]+ +[0-9]+ +[0-9]+ ' "$T/dry.txt" | awk '{printf "%s ", $4}')
want="8 4 4 2 2 1 8 4 4 2 2 1 3 1 1 3 1 1 "
[ "$reps" = "$want" ] && ok "replica counts" || fail "replica counts '$reps' != '$want'"
for key in Meta-Llama-3-8B_chat_tk8192_rq40_h100_vllm_tp1_pp1_bsz64 \
  Meta-Llama-3-8B_chat_tk8192_rq40_h100_sarathi_cs512_tp4_pp2_bsz128 \
  Meta-Llama-3-8B_chat_tk8192_rq40_a100_sarathi_cs512_tp2_pp1_bsz64; do
  h=$(printf '%s' "$key" | sha1sum | cut -c1-8)
  grep -q " $h " "$T/dry.txt" && ok "V0 hash $h" || fail "no job with V0 hash $h ($key)"
done
# hand-computed: printf %s Meta-Llama-3-8B_chat_tk8192_rq40_h100_vllm_tp1_pp1_bsz64 | sha1sum -> 0f5d7be1...
grep -Eq '^0 +0f5d7be1 ' "$T/dry.txt" && ok "first job hash pinned" || fail "first job hash"

# mixing V0 and V1 keys
sed 's/^schedulers:/replica_schedulers:/' "$T/v0.yml" > "$T/mix.yml"
"$BIN" --config "$T/mix.yml" --dry-run > /dev/null 2> "$T/mix.err"; rc=$?
[ $rc -eq 2 ] && grep -q "mix.yml:4:1: 'replica_schedulers' is Vidur V1 schema" "$T/mix.err" && ok "mixed schema refused" ||
  { fail "mixed schema rc $rc"; cat "$T/mix.err"; }
printf 'search_configs: []\n' >> "$T/v0.yml"
"$BIN" --config "$T/v0.yml" --dry-run > /dev/null 2> "$T/mix2.err"; rc=$?
[ $rc -eq 2 ] && grep -q "v0.yml:14:1: 'search_configs' is Vidur V1 schema" "$T/mix2.err" && ok "search_configs in V0 refused" ||
  { fail "search_configs rc $rc"; cat "$T/mix2.err"; }
# the disaggregation extension needs the V1 schema (V0's clusters fix each job's GPUs)
head -n 13 "$T/v0.yml" > "$T/dis.yml"
printf 'disaggregation:\n  - {prefill: {tp: 2}, decode: {tp: 2}, ratios: [[1, 1]]}\n' >> "$T/dis.yml"
"$BIN" --config "$T/dis.yml" --dry-run > /dev/null 2> "$T/dis.err"; rc=$?
[ $rc -eq 2 ] && grep -q "dis.yml:15:3: disaggregation: not available in a Vidur V0 explorer file" "$T/dis.err" &&
  ok "disaggregation in V0 refused" || { fail "disaggregation in V0: rc $rc"; cat "$T/dis.err"; }

# a tiny real run: one h100 cluster, one job with 4 replicas
cat > "$T/run.yml" <<'YML'
clusters: [{device: h100, num_gpus: 4, gpus_per_node: 8}]
schedulers: [{scheduler: sarathi, chunk_size: 512}]
traces: [{name: chat, trace_file: chat.csv, max_seq_len: 8192, num_requests: 30, start_qps: 1}]
batch_sizes: [32]
tp_dimensions: [1]
pp_dimensions: [1]
models: [{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}]
YML
"$BIN" --config "$T/run.yml" --output-dir "$T/out" --max-iterations 2 --time-limit 30 2> "$T/run.err"; rc=$?
[ $rc -eq 0 ] && ok "V0 run exit 0" || { fail "V0 run exit $rc"; cat "$T/run.err"; }
h=$(printf '%s' Meta-Llama-3-8B_chat_tk8192_rq30_h100_sarathi_cs512_tp1_pp1_bsz32 | sha1sum | cut -c1-8)
[ -d "$T/out/runs/$h" ] && ok "run directory named by the V0 hash" || fail "no runs/$h"
row=$(grep "^$h," "$T/out/results.csv")
[ "$(echo "$row" | cut -d, -f18)" = 4 ] && ok "results.csv num_replicas 4" || fail "results row: $row"
echo "$row" | grep -Eq ',(ok|no_pass),' && ok "job finished" || fail "job status: $row"

echo "$fails failure(s)"
[ $fails -eq 0 ]
