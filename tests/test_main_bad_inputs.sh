#!/usr/bin/env bash
# The bad-input catalogue: hostile sweep files, traces, model configs and flags. Every case
# must exit 2 with a message that names where (file:line:col, the file, or the flag), and none
# may crash (a signal, a sanitizer report), take over 10 s or need over 1 GB (ulimit -v; in a
# sanitizer build, whose shadow memory needs more address space, ASan's RSS limit instead).
# Number fields are tried at 2^31, 2^63, NaN, infinity and a negative value.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
if "$BIN" --version 2> /dev/null | grep -q Sanitizer; then
  LIMIT=""
  export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}hard_rss_limit_mb=1024:max_allocation_size_mb=1024
else
  LIMIT="ulimit -v 1048576;"
fi
ncases=0

# case NAME WHERE_REGEX ARGS...: runs capsearch ARGS, expects exit 2 and WHERE_REGEX in stderr
case_() {
  local name=$1 where=$2
  shift 2
  ncases=$((ncases + 1))
  (eval "$LIMIT" && exec timeout -s KILL 10 "$BIN" "$@") > "$T/case.out" 2> "$T/case.err" < /dev/null
  local rc=$?
  if [ $rc -ne 2 ] || ! grep -Eq -- "$where" "$T/case.err" || grep -q 'Sanitizer\|runtime error' "$T/case.err"; then
    fail "$name: exit $rc (want 2 naming /$where/): $(head -c 300 "$T/case.err")"
  fi
}

# A valid sweep whose every number can be replaced through a variable of the same name.
sweep() {
  cat <<YML
clusters:
  - {device: h100, network_device: h100_dgx, gpus_per_node: ${gpus_per_node:-8}}
global_schedulers:
  - scheduler: round_robin
  - {scheduler: ranked_sticky_lop_uncached, top_k: ${top_k:-2}}
  - {scheduler: tolerant_sticky_lop_uncached, tolerance_factor: ${tolerance_factor:-2.0}}
request_queues:
  - {name: fcfs, provider: fcfs}
  - {name: edf, provider: edf, slo_prefill_e2e_time_normalized: ${slo_prefill_e2e_time_normalized:-0.5}}
replica_schedulers: [{scheduler: vllm_v1, chunk_size: ${chunk_size:-512}}]
slo_configs:
  - name: ttft
    type: and
    quantile: ${quantile:-0.99}
    slos: [{metric: prefill_e2e_time, value: ${value:-1}}]
traces:
  - {name: chat, trace_file: ${trace_file:-chat.csv}, max_seq_len: ${max_seq_len:-8192}, enable_prefix_caching: true}
batch_sizes: [${batch_sizes:-64}]
tp_dimensions: [${tp_dimensions:-1}]
pp_dimensions: [${pp_dimensions:-1}]
models:
  - {name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}
search_configs:
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: ${num_replicas:-2}, qps: ${qps:-2}, num_requests: ${num_requests:-100}}
  - {trace: chat, model: Meta-Llama-3-8B, search_for: isoqps, num_replicas: 2, qps: 2, num_requests: 100, qps_multipliers: [${qps_multipliers:-1.5}]}
seed: ${seed:-42}
YML
}
sweep > "$T/base.yml"
"$BIN" --config "$T/base.yml" --dry-run > /dev/null 2> "$T/base.err" && ok "the base sweep is valid" \
  || { fail "base sweep invalid"; cat "$T/base.err"; }

# --- every number of a sweep file at 2^31, 2^63, NaN, infinity, negative -----------------
fields="gpus_per_node top_k tolerance_factor slo_prefill_e2e_time_normalized chunk_size quantile value max_seq_len
        batch_sizes tp_dimensions pp_dimensions num_replicas qps num_requests qps_multipliers"
for f in $fields; do
  for v in 2147483648 9223372036854775808 .nan .inf -1; do
    env "$f=$v" bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
    case_ "$f: $v" "s\.yml:[0-9]+(:[0-9]+)?: .*$f" --config "$T/s.yml" --output-dir "$T/o"
  done
done
for v in -1 18446744073709551616 .nan .inf 1.5 9007199254740993; do
  env "seed=$v" bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
  case_ "seed: $v" "s\.yml:[0-9]+:[0-9]+: seed" --config "$T/s.yml" --output-dir "$T/o"
done
# 2^53 + 1 is refused, not read as 2^53, and the bound is printed exactly (not 9.0072e+15)
grep -q "9007199254740993 is out of range (expected an integer from 0 to 9007199254740992)" "$T/case.err" \
  && ok "seed: 2^53 + 1 refused with the exact bound" || fail "seed 2^53+1: $(head -c 300 "$T/case.err")"
# the wraps the issue saw: TP 4294967297 ran as TP 1, batch 4294967424 as 128
for pair in tp_dimensions=4294967297 batch_sizes=4294967424 batch_sizes=1099511627776 num_replicas=4294967297 \
  gpus_per_node=4294967304 qps=1e308 value=-0.5 quantile=0 chunk_size=0x10 max_seq_len=1e400; do
  env "$pair" bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
  case_ "$pair" "s\.yml:[0-9]+:[0-9]+: .*${pair%%=*}" --config "$T/s.yml" --output-dir "$T/o"
done
env 'gpus_per_node="8"' bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
case_ 'gpus_per_node: "8"' "s\.yml:2:.*gpus_per_node: expected an integer .*quoted string '8' \(write numbers without quotes\)" \
  --config "$T/s.yml" --output-dir "$T/o"

# --- sizes: jobs and requests ------------------------------------------------------------
env num_requests=100000000 bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
case_ "num_requests 1e8 over the default cap" "s\.yml:[0-9]+: search_configs\[0\]\.num_requests.*--max-requests" \
  --config "$T/s.yml" --output-dir "$T/o"
env num_requests=1e12 bash -c "$(declare -f sweep); sweep" > "$T/s.yml"
case_ "num_requests 1e12" "s\.yml:[0-9]+: .*num_requests.*--max-requests" --config "$T/s.yml" --output-dir "$T/o"
list=$(seq -s, 1 1000)
env "batch_sizes=$list" "tp_dimensions=$(seq -s, 1 42)" bash -c "$(declare -f sweep); sweep" > "$T/big.yml"
sed -i "s/^pp_dimensions: .*/pp_dimensions: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]/" "$T/big.yml"
python3 - "$T/big.yml" << 'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]",
    "replica_schedulers: [" + ", ".join("{scheduler: vllm_v1, chunk_size: %d}" % (64 * k) for k in range(1, 201)) + "]")
open(p, "w").write(s)
EOF
case_ "a sweep of 10^9 jobs ($(wc -c < "$T/big.yml") bytes)" "big\.yml: the sweep expands to [0-9]+ jobs.*--max-jobs" \
  --config "$T/big.yml" --output-dir "$T/o"

# --- the sweep file itself -----------------------------------------------------------------
mkfifo "$T/fifo.yml"
case_ "sweep is /dev/zero" "/dev/zero: not a regular file" --config /dev/zero --output-dir "$T/o"
case_ "sweep is /dev/urandom" "/dev/urandom: not a regular file" --config /dev/urandom --output-dir "$T/o"
case_ "sweep is a FIFO" "fifo\.yml: not a regular file" --config "$T/fifo.yml" --output-dir "$T/o"
case_ "sweep is a directory (--config .)" "\.: is a directory" --config . --output-dir "$T/o"
case_ "sweep missing" "nope\.yml: cannot open: No such file" --config "$T/nope.yml" --output-dir "$T/o"
printf '' > "$T/empty.yml"
case_ "empty sweep" "empty\.yml" --config "$T/empty.yml" --output-dir "$T/o"
head -c 30000 /dev/zero | tr '\0' '[' > "$T/deep.yml"
case_ "30,000 nested [" "deep\.yml:1:[0-9]+: nested more than 200 levels" --config "$T/deep.yml" --output-dir "$T/o"
head -c 30000 /dev/zero | sed 's/\x0/{a: /g' > "$T/deepmap.yml"
case_ "30,000 nested {a:" "deepmap\.yml:1:[0-9]+: " --config "$T/deepmap.yml" --output-dir "$T/o"
python3 -c "print('a:\n' + ''.join(' ' * i + '- \n' for i in range(1, 3000)))" > "$T/deepblock.yml"
case_ "3,000 nested block lists" "deepblock\.yml:[0-9]+:[0-9]+: " --config "$T/deepblock.yml" --output-dir "$T/o"
{ head -20 "$T/base.yml"; printf '# a comment with a bad byte: \xff\xfe\n'; tail -n +21 "$T/base.yml"; } > "$T/byte.yml"
case_ "a bad byte on line 21" "byte\.yml:21:[0-9]+: malformed YAML/JSON: invalid" --config "$T/byte.yml" --output-dir "$T/o"
{ head -5 "$T/base.yml"; printf 'x: "\x01"\n'; } > "$T/ctl.yml"
case_ "a control character on line 6" "ctl\.yml:6:[0-9]+: malformed" --config "$T/ctl.yml" --output-dir "$T/o"
{ cat "$T/base.yml"; printf 'seed: 7\n'; } > "$T/dup.yml"
case_ "duplicate key" "dup\.yml:[0-9]+:1: duplicate key 'seed'" --config "$T/dup.yml" --output-dir "$T/o"
printf 'a: &x [1]\nb: *y\n' > "$T/alias.yml"
case_ "unknown alias" "alias\.yml:2:[0-9]+: .*alias" --config "$T/alias.yml" --output-dir "$T/o"
head -c 4096 /dev/urandom > "$T/noise.yml"
case_ "random bytes" "noise\.yml" --config "$T/noise.yml" --output-dir "$T/o"
printf 'clusters: [\n' > "$T/open.yml"
case_ "unclosed list" "open\.yml:[0-9]+:[0-9]+: malformed" --config "$T/open.yml" --output-dir "$T/o"
printf '\x1f\x8b\x08\x00garbage' > "$T/gz.yml"
case_ "corrupt gzip sweep" "gz\.yml: (corrupt gzip|truncated gzip)" --config "$T/gz.yml" --output-dir "$T/o"

# entries that are wrong only against the catalog, the registry or another entry: still file:line:col
{ cat "$T/base.yml"; echo "prices: {h1000: 3}"; } > "$T/pr.yml"
case_ "price of an unknown device" "pr\.yml:[0-9]+:[0-9]+: prices: unknown device 'h1000' \(did you mean 'h100'\?\)" \
  --config "$T/pr.yml" --output-dir "$T/o"
{ cat "$T/base.yml"; echo "predictor: rooflin"; } > "$T/pd.yml"
case_ "misspelt predictor" "pd\.yml:[0-9]+:12: predictor: .*rooflin.*did you mean 'roofline'" --config "$T/pd.yml" --output-dir "$T/o"
python3 - "$T/base.yml" "$T/ds.yml" <<'EOF2'
import sys
s = open(sys.argv[1]).read()
i = s.index("  - name: ttft"); j = s.index("traces:")
open(sys.argv[2], "w").write(s[:j] + s[i:j] + s[j:])
EOF2
case_ "two SLOs of one name" "ds\.yml:[0-9]+:[0-9]+: slo_configs\[1\]\.name: duplicate SLO name 'ttft'" \
  --config "$T/ds.yml" --output-dir "$T/o"
for k in tp_dimensions batch_sizes pp_dimensions; do
  env "$k=1, 2, 1" bash -c "$(declare -f sweep); sweep" > "$T/dl.yml"
  case_ "$k listing 1 twice" "dl\.yml:[0-9]+:[0-9]+: $k\[2\]: listed twice \(the same as $k\[0\]\)" \
    --config "$T/dl.yml" --output-dir "$T/o"
done

# --- traces --------------------------------------------------------------------------------
trace_case() { # NAME WHERE_REGEX TRACE_FILE
  env "trace_file=$3" bash -c "$(declare -f sweep); sweep" > "$T/t.yml"
  case_ "trace: $1" "$2" --config "$T/t.yml" --output-dir "$T/o"
}
mkfifo "$T/fifo.csv"
mkdir -p "$T/dir.csv"
trace_case "/dev/zero" "t\.yml:[0-9]+:[0-9]+: .*/dev/zero.*not a regular file" /dev/zero
trace_case "/dev/urandom" "t\.yml:[0-9]+:[0-9]+: .*/dev/urandom.*not a regular file" /dev/urandom
trace_case "a FIFO" "t\.yml:[0-9]+:[0-9]+: .*fifo\.csv.*not a regular file" "$T/fifo.csv"
trace_case "a directory" "t\.yml:[0-9]+:[0-9]+: .*dir\.csv.*is a directory" "$T/dir.csv"
printf '{"timestamp": 0, "input_length": 2147483647, "output_length": 1, "hash_ids": []}\n' > "$T/huge.jsonl"
trace_case "91-byte Mooncake line of 2^31 tokens ($(wc -c < "$T/huge.jsonl") bytes)" "huge\.jsonl:1:[0-9]+: key 'input_length'" "$T/huge.jsonl"
printf '{"timestamp": 0, "input_length": 10, "output_length": 9223372036854775807, "hash_ids": []}\n' > "$T/huge2.jsonl"
trace_case "Mooncake output_length 2^63" "huge2\.jsonl:1:[0-9]+: key 'output_length'" "$T/huge2.jsonl"
printf '{"timestamp": NaN, "input_length": 10, "output_length": 1, "hash_ids": []}\n' > "$T/nan.jsonl"
trace_case "Mooncake timestamp NaN" "nan\.jsonl:1:[0-9]+: " "$T/nan.jsonl"
printf '{"timestamp": -5, "input_length": 10, "output_length": 1, "hash_ids": []}\n' > "$T/neg.jsonl"
trace_case "Mooncake negative timestamp" "neg\.jsonl:1:[0-9]+: key 'timestamp'" "$T/neg.jsonl"
printf '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1e300]}\n' > "$T/hid.jsonl"
trace_case "Mooncake hash id 1e300" "hid\.jsonl:1:[0-9]+: key 'hash_ids'" "$T/hid.jsonl"
head -c 20000 /dev/zero | tr '\0' '[' | sed 's/^/{"timestamp": 0, "x": /' > "$T/deep.jsonl"
trace_case "Mooncake 20,000 nested [ under an unknown key" "deep\.jsonl:1:[0-9]+: " "$T/deep.jsonl"
for v in 2147483648 9223372036854775808 nan inf -1; do
  { echo "arrived_at,num_prefill_tokens,num_decode_tokens"; echo "0.5,$v,10"; } > "$T/tok.csv"
  trace_case "CSV prefill tokens $v" "tok\.csv:2: column 'num_prefill_tokens'" "$T/tok.csv"
done
{ echo "arrived_at,num_prefill_tokens,num_decode_tokens"; echo "nan,10,10"; } > "$T/at.csv"
trace_case "CSV arrival NaN" "at\.csv:2: " "$T/at.csv"
{ echo "TIMESTAMP,ContextTokens,GeneratedTokens"; echo "2023-11-16 18:15:46,9223372036854775808,1"; } > "$T/az.csv"
trace_case "Azure tokens 2^63" "az\.csv:2: column 'ContextTokens'" "$T/az.csv"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00' > "$T/cut.csv.gz"
trace_case "truncated gzip trace" "cut\.csv\.gz: (truncated gzip|corrupt gzip)" "$T/cut.csv.gz"
printf '' > "$T/empty.csv"
trace_case "empty trace" "empty\.csv" "$T/empty.csv"

# --- a model config.json -------------------------------------------------------------------
model_case() { # NAME WHERE_REGEX CONFIG_FILE
  sed "s|identifier: meta-llama/Meta-Llama-3-8B}|identifier: meta-llama/Meta-Llama-3-8B, config: $3}|" "$T/base.yml" > "$T/m.yml"
  case_ "model config: $1" "$2" --config "$T/m.yml" --output-dir "$T/o"
}
cfg=$SRC/tests/data/catalog/llama-3-8b/config.json
model_case "/dev/zero" "m\.yml:[0-9]+:[0-9]+: models\[0\]\.config: cannot read model config '/dev/zero': not a regular file" /dev/zero
model_case "a FIFO" "m\.yml:[0-9]+:[0-9]+: models\[0\]\.config: cannot read model config '.*fifo\.csv': not a regular file" "$T/fifo.csv"
for v in 2147483648 9223372036854775808 NaN Infinity -1; do
  sed "s/\"num_hidden_layers\": [0-9]*/\"num_hidden_layers\": $v/" "$cfg" > "$T/config.json"
  model_case "num_hidden_layers $v" "config\.json:[0-9]+:[0-9]+: .*num_hidden_layers" "$T/config.json"
done
sed "s/\"num_hidden_layers\": [0-9]*/\"num_hidden_layers\": 10000000/" "$cfg" > "$T/config.json"
model_case "10 million layers" "config\.json:[0-9]+:[0-9]+: num_hidden_layers: expected an integer from 1 to 1024" "$T/config.json"
sed "s/\"num_key_value_heads\": [0-9]*/\"num_key_value_heads\": 0/" "$cfg" > "$T/config.json"
model_case "zero KV heads" "config\.json:[0-9]+:[0-9]+: num_key_value_heads: expected an integer from 1" "$T/config.json"
head -c 30000 /dev/zero | tr '\0' '[' > "$T/deep.json"
model_case "30,000 nested [" "deep\.json:1:[0-9]+: nested more than" "$T/deep.json"

# --- flags ---------------------------------------------------------------------------------
flag_case() { # FLAG VALUE WHERE_REGEX
  case_ "flag $1 $2" "$3" --config "$T/base.yml" --output-dir "$T/o" "$1" "$2"
}
for v in 0 1e12 nan inf -1 2147483648 9223372036854775808 1.5; do flag_case -j "$v" "^capsearch: -j: "; done
for v in 0 1e12 nan inf -1 2147483648; do flag_case --max-iterations "$v" "^capsearch: --max-iterations: "; done
for v in nan inf -1 1e308; do flag_case --time-limit "$v" "^capsearch: --time-limit: "; done
for v in nan -1 inf; do flag_case --min-qps "$v" "^capsearch: --min-qps: "; done
for v in nan 0 100 -5; do flag_case --min-search-granularity "$v" "^capsearch: --min-search-granularity: "; done
for v in -1 18446744073709551616 nan 1.5 9007199254740993; do flag_case --seed "$v" "^capsearch: --seed: "; done
grep -q "^capsearch: --seed: expected an integer from 0 to 9007199254740992, got '9007199254740993'" "$T/case.err" \
  && ok "--seed 2^53 + 1 refused with the exact bound" || fail "--seed 2^53+1: $(head -c 300 "$T/case.err")"
for v in 0 nan -1 inf; do flag_case --wall-budget "$v" "^capsearch: --wall-budget: "; done
for v in 1/0 2/2 -1/2 2147483648/2147483649 0/9223372036854775808 x/2 1; do flag_case --shard "$v" "^capsearch: --shard"; done
for v in 0 nan 1e300; do flag_case --max-jobs "$v" "^capsearch: --max-jobs: "; done
for v in 0 nan 1e300; do flag_case --max-requests "$v" "^capsearch: --max-requests: "; done
case_ "--output-dir ''" "^capsearch: --output-dir: expected a directory path" --config "$T/base.yml" --output-dir ''
case_ "--config ''" "^capsearch: --config: expected a sweep file" --config '' --output-dir "$T/o"

# --- sizes and output paths of the other commands ------------------------------------------
case_ "trace generate --requests 1e12" "^capsearch: --requests: .*10000000" trace generate -o "$T/g.csv" --requests 1000000000000
case_ "trace generate --duration 1e9 at 1e6 qps" "a duration of 1e\+09 s at 1e\+06 qps .*more than 10000000" \
  trace generate -o "$T/g.csv" --duration 1000000000 --qps 1000000
case_ "trace generate sessions --duration 1e9" "a duration of .*more than 10000000" \
  trace generate -o "$T/g.csv" --shape chat --duration 1000000000 --qps 1000000
# just under the up-front estimate: the per-row cap ends it (Poisson arrivals: ~1.9e7 expected);
# 10M rows take ~0.5 GB, too close to a sanitizer build's RSS limit, so only without one
if [ -n "$LIMIT" ]; then
  case_ "trace generate --duration 19 at 1e6 qps" "more than 10000000 requests" \
    trace generate -o "$T/g.csv" --duration 19 --qps 1000000
else
  ncases=$((ncases + 1))
fi
case_ "simulate --num-requests 1e12" "^capsearch: --num-requests: .*10000000" \
  simulate --model Meta-Llama-3-8B --device h100 --num-requests 1000000000000 --qps 1000
printf 'x' > "$T/afile"
printf '{"timestamp": 0, "input_length": 100, "output_length": 10, "hash_ids": [1]}\n' > "$T/one.jsonl"
case_ "--output-dir a plain file" "afile: exists and is not a directory" --config "$T/base.yml" --output-dir "$T/afile"
case_ "trace generate -o a directory" "dir\.csv is a directory; expected a file path" \
  trace generate -o "$T/dir.csv" --requests 5
case_ "trace convert -o a directory" "dir\.csv is a directory; expected a file path" \
  trace convert "$T/one.jsonl" -o "$T/dir.csv"
case_ "trace convert into a missing directory" "directory '.*/nodir' does not exist" \
  trace convert "$T/one.jsonl" -o "$T/nodir/x.csv"
{ printf '\033[31m\001\377'; head -c 3000 /dev/zero | tr '\0' 'x'; } > "$T/bin.csv"
case_ "trace info of binary bytes" "bin\.csv:1: .*\\\\x1b\[31m\\\\x01\\\\xffx+\.\.\." trace info "$T/bin.csv"
if LC_ALL=C grep -q '[[:cntrl:]]' "$T/case.err" || [ "$(wc -c < "$T/case.err")" -gt 400 ]; then
  fail "binary trace: raw bytes or $(wc -c < "$T/case.err") bytes in the message"
fi
mkdir -p "$T/oc"
printf '{\n' > "$T/oc/config.json"
case_ "damaged config.json in the output dir" "oc/config\.json is damaged .*:[0-9]+:[0-9]+" \
  --config "$T/base.yml" --output-dir "$T/oc" --time-limit 1

# --- hostile but valid: must run, not crash ------------------------------------------------
printf '{"timestamp": 0, "input_length": 100, "output_length": 10, "hash_ids": []}\n{"timestamp": 3, "input_length": 40, "output_length": 5, "hash_ids": []}\n' > "$T/noids.jsonl"
(eval "$LIMIT" && exec timeout -s KILL 10 "$BIN" trace info "$T/noids.jsonl") > /dev/null 2> "$T/case.err"; rc=$?
[ $rc -eq 0 ] && ! grep -q 'runtime error' "$T/case.err" && ok "Mooncake trace whose hash_ids are all empty loads" \
  || fail "all-empty hash_ids: exit $rc $(head -c 300 "$T/case.err")"
env num_requests=20 bash -c "$(declare -f sweep); sweep" | grep -v 'provider: edf' > "$T/j.yml"
(eval "$LIMIT" && exec timeout -s KILL 60 "$BIN" --config "$T/j.yml" --output-dir "$T/oj" -j 100000 --max-iterations 1 \
  --time-limit 1) > /dev/null 2> "$T/case.err"; rc=$?
[ $rc -eq 0 ] && ok "-j 100000 runs (threads capped at 4 per core)" || fail "-j 100000: exit $rc $(tail -c 300 "$T/case.err")"

[ $ncases -ge 100 ] && ok "$ncases bad inputs: each exit 2 naming where, no crash, within 10 s and 1 GB" \
  || fail "only $ncases cases"
echo "$fails failure(s)"
[ $fails -eq 0 ]
