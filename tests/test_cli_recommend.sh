#!/usr/bin/env bash
# capsearch recommend: ranks the device catalog for a model and workload, --json, --emit-sweep
# (a sweep file that expands and runs), usage errors.
set -u
CAPSEARCH=${1:?usage: test_cli_recommend.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() {
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chat --qps 20 >"$T/out" 2>"$T/err"; rc=$?
check "recommend exits 0" test $rc -eq 0
check "header states the workload and load" grep -q "chat (ISL 1155, OSL 211 tokens), 20 QPS" "$T/out"
check "ranks at least 5 candidates" test "$(grep -cE '^ +[0-9]+  ' "$T/out")" -ge 5
check "rank 1 is listed first" bash -c "grep -E '^ +[0-9]+  ' '$T/out' | head -1 | grep -qE '^ +1  '"
check "says which do not fit" grep -q " no  the weights alone exceed" "$T/out"
check "labels the tail as an estimate" grep -q "M/G/1 ESTIMATE" "$T/out"
check "ranked by \$/hour (ascending)" bash -c "grep -E '^ +[0-9]+  ' '$T/out' | awk '{print \$15}' | sort -g -c"

"$CAPSEARCH" recommend --model Meta-Llama-3-8B --isl 512 --osl 128 --ttft-slo 500ms --tpot-slo 0.05 --users 50 \
  --devices h100,a100 --json >"$T/json" 2>&1; rc=$?
check "--json exits 0" test $rc -eq 0
check "--json lists candidates with costs" grep -q '"usd_per_1k_tokens"' "$T/json"
check "--devices filters the catalog" bash -c "! grep -q '\"device\": \"l4\"' '$T/json' && grep -q '\"device\": \"a100\"' '$T/json'"

# a local Hugging Face config.json instead of a catalog name (Llama-3-8B's architecture)
cat >"$T/config.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
 "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 8192,
 "hidden_act": "silu", "torch_dtype": "bfloat16", "rms_norm_eps": 1e-05, "tie_word_embeddings": false}
JSON
"$CAPSEARCH" recommend --model-config "$T/config.json" --workload code --qps 5 --devices h100 >"$T/hf" 2>&1; rc=$?
check "--model-config exits 0" test $rc -eq 0
check "--model-config: an 8B model fits one H100" grep -qE "^ +1  h100 +1 +yes" "$T/hf"
echo '{"hidden_size": 4096' >"$T/bad.json"
"$CAPSEARCH" recommend --model-config "$T/bad.json" --workload chat --qps 1 >/dev/null 2>"$T/err"; rc=$?
check "malformed config.json: exit 2 naming it" bash -c "test $rc -eq 2 && grep -q 'bad.json' '$T/err'"

"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chat --qps 20 --top 2 \
  --emit-sweep "$T/sweep.yml" --trace "$SRC/traces/chat_small.csv" >/dev/null 2>"$T/err"; rc=$?
check "--emit-sweep exits 0" test $rc -eq 0
check "emitted sweep has the schema's sections" bash -c "for k in clusters global_schedulers request_queues replica_schedulers slo_configs traces batch_sizes tp_dimensions pp_dimensions models search_configs; do grep -q \"^\$k:\" '$T/sweep.yml' || exit 1; done"
"$CAPSEARCH" --config "$T/sweep.yml" --output-dir "$T/sweep_out" --dry-run >"$T/dry" 2>&1; rc=$?
check "emitted sweep expands (--dry-run)" test $rc -eq 0
check "expansion has runnable jobs" grep -q "runnable" "$T/dry"
# a sweep is a cartesian product: the note says how many jobs --top N became, and that count is
# what the sweep expands to
njobs=$(sed -n 's/.* = \([0-9]*\) job(s).*/\1/p' "$T/err")
check "--emit-sweep says how many jobs it wrote" test -n "$njobs"
check "... as many as the sweep expands to" grep -qE "(^| )$njobs jobs?\b" "$T/dry"
"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chat --qps 20 --top 2 \
  --emit-sweep "$T/sweep.yml" --trace "$SRC/traces/chat_small.csv" >/dev/null 2>"$T/err2"
check "--emit-sweep over an existing file says so" grep -q "replacing the existing file" "$T/err2"
# and it runs: the screen hands over to the simulation, whose output analyze reads
sed 's/num_requests: [0-9]*/num_requests: 40/' "$T/sweep.yml" >"$T/small.yml"
"$CAPSEARCH" --config "$T/small.yml" --output-dir "$T/run" --max-iterations 2 --time-limit 5 -j 2 >/dev/null 2>"$T/err"; rc=$?
check "emitted sweep runs" test $rc -eq 0
check "its jobs finish" awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i; next }
                                $c == "ok" { ok = 1 } END { exit !ok }' "$T/run/results.csv"
"$CAPSEARCH" analyze "$T/run" -q 2>"$T/err"; rc=$?
check "analyze reads the emitted sweep's output" bash -c "test $rc -eq 0 && grep -q '^Meta-Llama-3-70B,workload,' '$T/run/analysis/best.csv'"

"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chatt --qps 1 >/dev/null 2>"$T/err"; rc=$?
check "unknown workload: exit 2" test $rc -eq 2
check "unknown workload: suggests" grep -q "did you mean 'chat'" "$T/err"
"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chat >/dev/null 2>"$T/err"; rc=$?
check "no load: exit 2" test $rc -eq 2
"$CAPSEARCH" recommend --model no-such-model --workload chat --qps 1 >/dev/null 2>"$T/err"; rc=$?
check "unknown model: exit 2" test $rc -eq 2
check "unknown model: named" grep -q "no-such-model" "$T/err"
"$CAPSEARCH" recommend --model Meta-Llama-3-8B --isl 100 --qps 1 >/dev/null 2>"$T/err"; rc=$?
check "incomplete workload: exit 2" test $rc -eq 2
"$CAPSEARCH" recommend --model Meta-Llama-3-8B --workload chat --qps 1 --ttft-slo fast >/dev/null 2>"$T/err"; rc=$?
check "bad duration: exit 2" test $rc -eq 2

# --emit-sweep into another directory, run from yet another: trace paths resolve from the sweep
mkdir -p "$T/elsewhere/out" "$T/cwd/data"
cp "$SRC/traces/chat_small.csv" "$T/cwd/data/mine.csv"
(cd "$T/cwd" && "$CAPSEARCH" recommend --model Meta-Llama-3-8B --workload chat --qps 5 --trace data/mine.csv \
  --emit-sweep "$T/elsewhere/out/rec.yml" >/dev/null 2>"$T/err"); rc=$?
check "emit with a relative --trace from another cwd: exit 0" test $rc -eq 0
check "candidates ranked above the picks but without a network are named on stderr" \
  grep -q "note: skipped [0-9]*\. .* TP[0-9]*: the catalog has no network entry" "$T/err"
check "... and in the emitted sweep's header" grep -q "^#   (skipped [0-9]*\. " "$T/elsewhere/out/rec.yml"
check "emitted trace path is relative to the sweep's directory" grep -q 'trace_file: "../../cwd/data/mine.csv"' "$T/elsewhere/out/rec.yml"
(cd / && "$CAPSEARCH" --config "$T/elsewhere/out/rec.yml" --dry-run >"$T/dry" 2>"$T/err"); rc=$?
check "the emitted sweep loads from any cwd" test $rc -eq 0
check "the emitted sweep's first probe spans the keep-up window (no short-window warning)" \
  bash -c "! grep -q 'short window' '$T/dry' '$T/err'"
(cd "$T/cwd" && "$CAPSEARCH" recommend --model Meta-Llama-3-8B --workload chat --qps 5 \
  --emit-sweep "$T/elsewhere/out/def.yml" >/dev/null 2>"$T/err"); rc=$?
(cd / && "$CAPSEARCH" --config "$T/elsewhere/out/def.yml" --dry-run >/dev/null 2>&1); rc2=$?
check "the default trace is found outside the checkout and the sweep loads" test $rc -eq 0 -a $rc2 -eq 0
(cd "$T/cwd" && "$CAPSEARCH" recommend --model Meta-Llama-3-8B --workload chat --qps 5 --trace nope.csv \
  --emit-sweep "$T/elsewhere/out/bad.yml" >/dev/null 2>"$T/err"); rc=$?
check "a missing --trace is refused (exit 2)" bash -c "test $rc -eq 2 && grep -q 'nope.csv' '$T/err'"
# A device whose roofline factors are borrowed from another part (`list devices`) is marked per
# row, in the table and in --json, with a caveat line; one with its own fit is not marked.
"$CAPSEARCH" list devices --json >"$T/dev.json" 2>&1
"$CAPSEARCH" recommend --model meta-llama/Meta-Llama-3-70B --workload chat --qps 20 --json >"$T/rj" 2>&1
python3 - "$T/dev.json" "$T/rj" "$T/out" >"$T/py" 2>&1 << 'PY'
import json, re, sys
devs = json.load(open(sys.argv[1]))
devs = devs.get("devices", devs) if isinstance(devs, dict) else devs
roof = {d["name"]: d["roofline"] for d in devs}
cands = json.load(open(sys.argv[2]))["candidates"]
table = open(sys.argv[3]).read().splitlines()
nb = 0
for c in cands:
    r = roof[c["device"]]
    assert c["factors_borrowed"] == r["borrowed"], c
    assert c["factors_borrowed_from"] == (r["calibrated_on"] if r["borrowed"] else None), c
    nb += r["borrowed"]
rows = [l for l in table if re.match(r"^ +[0-9-]+  \S", l) and l.split()[3] == "yes"]
for l in rows:
    dev = l.split()[1]
    mark = "[speed BORROWED from %s]" % roof[dev]["calibrated_on"]
    assert (mark in l) == roof[dev]["borrowed"], l
assert nb > 0 and any(not roof[l.split()[1]]["borrowed"] for l in rows), "needs both kinds"
assert any(l.startswith("caveat: rows marked [speed BORROWED") for l in table)
print("ok")
PY
check "borrowed roofline factors are marked per row (table, --json) with a caveat" grep -qx ok "$T/py"
grep -qx ok "$T/py" || cat "$T/py"
exit $fail
