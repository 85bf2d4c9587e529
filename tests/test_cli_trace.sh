#!/usr/bin/env bash
# capsearch trace: info / convert / generate, the shipped traces reproduce from their documented
# commands, and bad input exits 2 with a message naming the file and line.
# Usage: bash tests/test_cli_trace.sh /path/to/capsearch
set -u
CS=${1:?usage: test_cli_trace.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
# expect CODE NAME CMD...: runs CMD, checks the exit code; stdout/stderr land in $TMP/out, $TMP/err
expect() {
  local code=$1 name=$2
  shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -eq "$code" ]; then ok "$name"; else bad "$name (exit $rc, want $code): $(head -c 300 "$TMP/err")"; fi
}
contains() { # contains FILE TEXT NAME
  if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $(head -c 400 "$1")"; fi
}

# --help on every level
expect 0 "trace --help" "$CS" trace --help
contains "$TMP/out" "info FILE" "trace --help lists the subcommands"
for sub in info convert generate; do
  expect 0 "trace $sub --help" "$CS" trace "$sub" --help
  contains "$TMP/out" "usage: capsearch trace $sub" "trace $sub --help prints its usage"
done
expect 2 "trace without a subcommand is a usage error" "$CS" trace

# every list of format names comes from the registry: each listed format appears in the help
# texts and in the refusal of an unknown --format
expect 0 "list trace-formats" "$CS" list trace-formats
cut -d' ' -f1 "$TMP/out" >"$TMP/formats"
[ "$(wc -l <"$TMP/formats")" -ge 3 ] && ok "list trace-formats lists the formats" || bad "list trace-formats: $(cat "$TMP/out")"
"$CS" trace --help >"$TMP/help_trace" 2>&1
"$CS" trace info --help >"$TMP/help_info" 2>&1
"$CS" trace convert --help >"$TMP/help_convert" 2>&1
"$CS" trace info --format parquet x.csv >/dev/null 2>"$TMP/unknown_format"
while read -r f; do
  contains "$TMP/help_trace" "  $f " "trace --help describes format $f"
  contains "$TMP/help_info" "|$f" "trace info --help offers --format $f"
  contains "$TMP/help_convert" "|$f" "trace convert --help offers --format $f"
  contains "$TMP/unknown_format" "$f" "an unknown --format lists $f"
done <"$TMP/formats"
expect 2 "unknown subcommand" "$CS" trace inf
contains "$TMP/err" "did you mean 'info'" "unknown subcommand suggests the closest"

# the shipped traces are exactly what their documented commands produce (traces/README.md)
expect 0 "generate chat_small" "$CS" trace generate --shape chat --requests 600 --seed 42 -o "$TMP/chat.csv"
if cmp -s "$TMP/chat.csv" "$SRC/traces/chat_small.csv"; then ok "chat_small.csv reproduces"; else bad "chat_small.csv differs from its generator"; fi
expect 0 "generate agent_small" "$CS" trace generate --shape agent --requests 250 --seed 42 -o "$TMP/agent.csv"
if cmp -s "$TMP/agent.csv" "$SRC/traces/agent_small.csv"; then ok "agent_small.csv reproduces"; else bad "agent_small.csv differs from its generator"; fi
# the .gz traces: compare after decompression (compressed bytes depend on the zlib version)
expect 0 "generate chat_2k" "$CS" trace generate --shape chat --requests 2000 --seed 42 -o "$TMP/chat2k.csv"
"$CS" trace convert "$SRC/traces/chat_2k.csv.gz" -o "$TMP/chat2k_shipped.csv" 2>/dev/null
if cmp -s "$TMP/chat2k.csv" "$TMP/chat2k_shipped.csv"; then ok "chat_2k.csv.gz reproduces"; else bad "chat_2k.csv.gz differs from its generator"; fi
expect 0 "generate agent_1k" "$CS" trace generate --shape agent --requests 1000 --seed 42 -o "$TMP/agent1k.csv"
"$CS" trace convert "$SRC/traces/agent_1k.csv.gz" -o "$TMP/agent1k_shipped.csv" 2>/dev/null
if cmp -s "$TMP/agent1k.csv" "$TMP/agent1k_shipped.csv"; then ok "agent_1k.csv.gz reproduces"; else bad "agent_1k.csv.gz differs from its generator"; fi
if [ "$(head -n 601 "$TMP/chat2k.csv" | cmp -s - "$SRC/traces/chat_small.csv" && echo y)" = y ]; then
  ok "chat_small.csv is the first 600 rows of chat_2k"
else
  bad "chat_small.csv is not a prefix of chat_2k"
fi
for f in "$SRC"/traces/*.csv "$SRC"/traces/*.csv.gz; do
  size=$(wc -c <"$f")
  if [ "$size" -lt 300000 ]; then ok "$(basename "$f") is under 300 KB"; else bad "$(basename "$f") is $size bytes"; fi
done

# info: human and JSON
expect 0 "info chat_small" "$CS" trace info "$SRC/traces/chat_small.csv"
contains "$TMP/out" "rows           600" "info prints the row count"
contains "$TMP/out" "block hashes   100.0% of prompt blocks (" "info prints hash coverage"
contains "$TMP/out" "block size 16), 0 of 600 rows short" "info: no row of a generated trace lacks ids"
contains "$TMP/out" "prefix reuse" "info prints the prefix reuse ratio"
expect 0 "info --max-seq-len" "$CS" trace info --max-seq-len 4000 "$SRC/traces/chat_small.csv"
contains "$TMP/out" "max_seq_len    3 rows exceed 4000 tokens (first: row 298)" "info counts rows over max_seq_len"
expect 0 "info --json" "$CS" trace info --json "$SRC/traces/agent_small.csv"
contains "$TMP/out" '"rows": 250' "info --json has rows"
contains "$TMP/out" '"session_coverage": 1' "info --json has session coverage"

# convert: Vidur CSV -> gzip CSV keeps every row; --max-rows cuts
expect 0 "convert to .gz" "$CS" trace convert "$SRC/traces/chat_small.csv" -o "$TMP/c.csv.gz"
if [ "$(head -c 2 "$TMP/c.csv.gz" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then ok "a .gz output is gzip"; else bad "a .gz output is not gzip"; fi
expect 0 "convert back" "$CS" trace convert "$TMP/c.csv.gz" -o "$TMP/c.csv"
if cmp -s "$TMP/c.csv" "$SRC/traces/chat_small.csv"; then ok "convert round-trips byte for byte"; else bad "convert round trip differs"; fi
expect 0 "convert IN OUT (positional output)" "$CS" trace convert "$SRC/traces/agent_small.csv" "$TMP/pos.csv"
if cmp -s "$TMP/pos.csv" "$SRC/traces/agent_small.csv"; then ok "positional output written"; else bad "positional output differs"; fi
expect 2 "convert with two outputs is a usage error" "$CS" trace convert "$SRC/traces/agent_small.csv" "$TMP/a.csv" -o "$TMP/b.csv"
expect 0 "convert --max-rows" "$CS" trace convert --max-rows 10 "$SRC/traces/chat_small.csv" -o "$TMP/c10.csv"
if [ "$(wc -l <"$TMP/c10.csv")" -eq 11 ]; then ok "--max-rows 10 writes 10 rows"; else bad "--max-rows 10 wrote $(wc -l <"$TMP/c10.csv") lines"; fi

# generate: deterministic by seed
"$CS" trace generate --requests 50 --lengths zipf --qps 3 --seed 7 -o "$TMP/g1.csv" 2>/dev/null
"$CS" trace generate --requests 50 --lengths zipf --qps 3 --seed 7 -o "$TMP/g2.csv" 2>/dev/null
"$CS" trace generate --requests 50 --lengths zipf --qps 3 --seed 8 -o "$TMP/g3.csv" 2>/dev/null
if cmp -s "$TMP/g1.csv" "$TMP/g2.csv"; then ok "same seed, same trace"; else bad "same seed gave different traces"; fi
if ! cmp -s "$TMP/g1.csv" "$TMP/g3.csv"; then ok "another seed, another trace"; else bad "seed ignored"; fi
expect 0 "generate poisson fixed" "$CS" trace generate --requests 2 --lengths fixed --prefill 100 --decode 7 -o "$TMP/f.csv"
# numpy default_rng(42): first gap -ln(1 - 0.7739560485559633) = 1.4870258232016522 s
contains "$TMP/f.csv" "1.4870258232016522,100,7" "generate: first Poisson arrival matches Vidur V1 at seed 42"
expect 2 "generate rejects a bad value" "$CS" trace generate --requests 0 -o "$TMP/x.csv"
contains "$TMP/err" "--requests" "the error names the flag"
expect 2 "generate rejects a bad range" "$CS" trace generate --shape chat --input-tokens 5 -o "$TMP/x.csv"
contains "$TMP/err" "MIN:MAX" "range errors say the expected form"
# the generator writes nothing its own readers refuse: token counts stop at the readers' 2^24
expect 0 "generate at the readers' token limit" "$CS" trace generate --requests 2 --lengths fixed --prefill 16777216 --decode 1 -o "$TMP/big.csv"
expect 0 "the readers take a trace at the token limit" "$CS" trace info "$TMP/big.csv"
expect 2 "generate refuses --prefill above the readers' limit" "$CS" trace generate --requests 2 --lengths fixed --prefill 20000000 -o "$TMP/x.csv"
contains "$TMP/err" "--prefill" "the token-limit error names the flag"
contains "$TMP/err" "16777216" "the token-limit error names the limit"
expect 2 "generate refuses --output-tokens above the readers' limit" "$CS" trace generate --shape chat --output-tokens 1:20000000 -o "$TMP/x.csv"
contains "$TMP/err" "16777216" "the range error names the limit"

# bad input: exit 2, message names the file and line
expect 2 "negative length" "$CS" trace info "$SRC/tests/data/trace/negative_prefill.csv"
contains "$TMP/err" "negative_prefill.csv:3: column 'num_prefill_tokens'" "negative length names file:line and column"
expect 2 "malformed JSONL" "$CS" trace info "$SRC/tests/data/trace/malformed_line.jsonl"
contains "$TMP/err" "malformed_line.jsonl:2:" "malformed JSONL names file:line:col"
expect 2 "missing file" "$CS" trace info "$TMP/nope.csv"
expect 2 "unknown format" "$CS" trace info --format moonckae "$SRC/traces/chat_small.csv"
contains "$TMP/err" "did you mean 'mooncake'" "unknown format suggests"
head -c 1000 "$TMP/c.csv.gz" >"$TMP/cut.csv.gz"
expect 2 "truncated gzip" "$CS" trace info "$TMP/cut.csv.gz"
contains "$TMP/err" "truncated gzip" "truncated gzip is reported"

# real traces (skipped without ../shared/data)
if [ -f "$DATA/traces/mooncake_conversation_trace.jsonl" ]; then
  # the first 3,000 requests (the whole trace is checked in test_trace_mooncake; 2,034 sessions
  # agrees with an independent Python implementation of the session rule)
  expect 0 "convert Mooncake conversation" "$CS" trace convert --max-rows 3000 \
    "$DATA/traces/mooncake_conversation_trace.jsonl" -o "$TMP/mc.csv.gz"
  expect 0 "info on the converted trace" "$CS" trace info "$TMP/mc.csv.gz"
  contains "$TMP/out" "rows           3000" "converted Mooncake keeps every request"
  contains "$TMP/out" "2034 sessions" "converted Mooncake keeps the derived sessions"
  contains "$TMP/out" "block size 16), 0 of 3000 rows short" "converted Mooncake has 16-token hashes"
else
  echo "skip Mooncake conversion (no shared data at $DATA)"
fi

# hash coverage counts prompt blocks, not rows: rows 1 and 3 carry every id, row 2 one of two
# 512-token ids (32 of its 64 blocks), row 4 is shorter than a block: 164 of 196 blocks
expect 0 "info of Mooncake rows short of hash_ids" "$CS" trace info "$SRC/tests/data/trace/short_hash_ids.jsonl"
contains "$TMP/out" "block hashes   83.7% of prompt blocks (164 of 196, block size 16), 1 of 4 rows short" \
  "info: hash coverage is blocks with ids over prompt blocks"
expect 0 "info --json of Mooncake rows short of hash_ids" "$CS" trace info --json "$SRC/tests/data/trace/short_hash_ids.jsonl"
contains "$TMP/out" '"hash_blocks": 164,' "info --json: prompt blocks with ids"
contains "$TMP/out" '"prompt_blocks": 196,' "info --json: prompt blocks"
contains "$TMP/out" '"hash_short_rows": 1,' "info --json: rows short of ids"

# Mooncake rows whose hash_ids count is not ceil(input_length / 512): loaded, with one warning
# naming how many and the first line (trace info and the sweep's --dry-run alike)
printf '{"timestamp": 0, "input_length": 1000, "output_length": 10, "hash_ids": [1, 2]}\n{"timestamp": 5, "input_length": 1000, "output_length": 10, "hash_ids": [1, 2, 3, 4, 5]}\n{"timestamp": 9, "input_length": 1100, "output_length": 10, "hash_ids": [1]}\n' > "$TMP/mism.jsonl"
expect 0 "trace info of Mooncake rows with other hash_ids counts" "$CS" trace info "$TMP/mism.jsonl"
contains "$TMP/err" "mism.jsonl: 2 of 3 rows have a hash_ids count other than ceil(input_length / 512) (first: line 2)" \
  "hash_ids count mismatch warned with its count and first line"
cat > "$TMP/mism.yml" <<YML
clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]
traces: [{name: m, trace_file: "$TMP/mism.jsonl", max_seq_len: 4096, enable_prefix_caching: true}]
models: [{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}]
slo_configs: [{name: s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 2}]}]
batch_sizes: [64]
tp_dimensions: [1]
pp_dimensions: [1]
search_configs: [{trace: m, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 1, num_requests: 3}]
YML
expect 0 "sweep --dry-run on that trace" "$CS" --config "$TMP/mism.yml" --dry-run
contains "$TMP/err" "2 of 3 rows have a hash_ids count other than" "the sweep's --dry-run warns about hash_ids counts"

# a last line without a line break reads, with a warning (a cut download looks exactly like it)
printf 'arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,100,10\n1.0,1023,4' > "$TMP/cut.csv"
expect 0 "a CSV whose last line has no line break reads" "$CS" trace info "$TMP/cut.csv"
contains "$TMP/err" "cut.csv: the last line has no line break (was the file cut short?)" "... and warns that it may be cut"
printf 'arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,100,10\n' > "$TMP/whole.csv"
expect 0 "the same CSV with its line break" "$CS" trace info "$TMP/whole.csv"
if grep -q "warning" "$TMP/err"; then bad "... warns although the file ends in a line break"; else ok "... without a warning"; fi

# an existing output is replaced (atomically) but never silently: stderr says so
expect 0 "generate into a new file" "$CS" trace generate --requests 5 --seed 1 -o "$TMP/rep.csv"
if grep -q "replaced" "$TMP/err"; then bad "a new file is reported as replaced"; else ok "a new file: no 'replaced'"; fi
expect 0 "generate over it" "$CS" trace generate --requests 5 --seed 1 -o "$TMP/rep.csv"
contains "$TMP/err" "to $TMP/rep.csv (replaced the existing file)" "generate says it replaced the existing file"
expect 0 "convert over it" "$CS" trace convert "$SRC/traces/chat_small.csv" -o "$TMP/rep.csv"
contains "$TMP/err" "to $TMP/rep.csv (replaced the existing file)" "convert says it replaced the existing file"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
