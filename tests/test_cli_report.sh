#!/usr/bin/env bash
# capsearch report: one self-contained HTML file whose SVG plots carry data points, rendered in
# headless Chromium (Debian's `chromium`, installed here when absent) without console errors; it
# opens with the recommendations, has no empty panel and no exponent in a table cell, also for a
# sweep where nothing passes; screenshots at 1,400 px and at a phone's 390 px.
set -u
CAPSEARCH=${1:?usage: test_cli_report.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() {
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
count() { grep -o "$1" "$2" | wc -l; }
cp -r "$SRC/tests/data/analysis/sweep" "$T/out"

"$CAPSEARCH" report "$T/out" -o "$T/report.html" 2>"$T/stderr"; rc=$?
check "report exits 0" test $rc -eq 0
check "report is written" test -s "$T/report.html"
check "one inline script, no external resources" bash -c "test \$(grep -ci '<script' '$T/report.html') -eq 1 && ! grep -qiE '<script [^>]*src|<link |src=\"http|url\\(http' '$T/report.html'"
no_empty_panel() { ! grep -q 'class="cs-nodata"' "$1"; }
no_exponent_cell() { ! grep -qE '<td[^>]*>[^<]*[0-9][eE][+-]?[0-9]' "$1"; }
overview_first() { # the recommendations come before any plot
  local o p
  o=$(grep -n 'id="overview"' "$1" | head -1 | cut -d: -f1)
  p=$(grep -n '<svg' "$1" | head -1 | cut -d: -f1)
  test -n "$o" && { test -z "$p" || test "$o" -lt "$p"; }
}
check "no empty panel" no_empty_panel "$T/report.html"
check "no exponent in a table cell" no_exponent_cell "$T/report.html"
check "the overview comes first" overview_first "$T/report.html"
"$CAPSEARCH" report --help >"$T/help" 2>&1
check "--help describes the inline script it writes" bash -c "grep -q 'script that sorts' '$T/help' && ! grep -q 'no script' '$T/help'"
check "tables are sortable and filterable" grep -q 'class="cs-filter"' "$T/report.html"
check "has Pareto, bar, CDF and probe plots" bash -c "grep -q 'Pareto front' '$T/report.html' && grep -q 'cs-bars' '$T/report.html' && grep -q 'TTFT CDF' '$T/report.html' && grep -q 'search probes of aaaa0001' '$T/report.html'"
check "plots carry data points" test "$(count 'class="cs-point"' "$T/report.html")" -ge 10
check "bars carry data" test "$(count 'class="cs-bar"' "$T/report.html")" -ge 4
check "says the directory is partial" grep -q "Partial output directory" "$T/report.html"
"$CAPSEARCH" report "$T/out" 2>/dev/null
check "default output is OUT/analysis/report.html" test -s "$T/out/analysis/report.html"
"$CAPSEARCH" report "$T/missing" -o "$T/x.html" 2>/dev/null; check "missing directory: exit 2" test $? -eq 2
mkdir -p "$T/adir"
"$CAPSEARCH" report "$T/out" -o "$T/adir" 2>"$T/adir.err"; rc=$?
check "-o a directory: exit 2 naming it" bash -c "test $rc -eq 2 && grep -q 'adir is a directory; expected a file path' '$T/adir.err'"

# a sweep where nothing passes (an SLO of 1 ms): no empty panel, the reason said once, a nearest miss
cat > "$T/none.yml" << EOF
clusters: [{device: a100, network_device: a100_dgx, gpus_per_node: 8}]
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}, {scheduler: sarathi, chunk_size: 512}]
slo_configs: [{name: ttft_1ms, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 0.001}]}]
traces: [{name: chat, trace_file: $SRC/traces/chat_small.csv, max_seq_len: 4096, enable_prefix_caching: true}]
batch_sizes: [64]
tp_dimensions: [1]
pp_dimensions: [1]
models: [{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}]
search_configs: [{trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 4, num_requests: 40}]
EOF
"$CAPSEARCH" --config "$T/none.yml" --output-dir "$T/none" --max-iterations 2 --time-limit 5 -j 2 >/dev/null 2>&1
"$CAPSEARCH" report "$T/none" -o "$T/none.html" 2>/dev/null
check "nothing passes: report written" test -s "$T/none.html"
check "nothing passes: no empty panel" no_empty_panel "$T/none.html"
check "nothing passes: the reason is said once" test "$(grep -c 'class="nodata"' "$T/none.html")" -eq 1
check "nothing passes: the nearest miss is named" grep -q "Nearest miss: a100 tp1" "$T/none.html"
check "nothing passes: no exponent in a table cell" no_exponent_cell "$T/none.html"

# Headless Chromium: install it when absent (CI machines are fresh); skip when impossible.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "note: chromium not found; installing it (apt-get)"
  bash "$SRC/scripts/deps.sh" chromium >/dev/null 2>&1 || true
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
fi
if [ -z "$CHROMIUM" ]; then
  echo "SKIP headless rendering: chromium is not installed and could not be installed (no apt-get, no network or no root)"
  exit $fail
fi
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --enable-logging=stderr --v=0)
timeout 120 "$CHROMIUM" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" --dump-dom "file://$T/report.html" \
  >"$T/dom.html" 2>"$T/chromium.log"
check "chromium renders the report" test -s "$T/dom.html"
check "rendered DOM has the plots' SVG elements" test "$(count '<svg' "$T/dom.html")" -ge 8
check "rendered DOM has data points" test "$(count 'class="cs-point"' "$T/dom.html")" -ge 10
check "rendered DOM has bars" test "$(count 'class="cs-bar"' "$T/dom.html")" -ge 4
check "no console errors" bash -c "! grep -E 'CONSOLE|Uncaught|SyntaxError|Failed to load resource' '$T/chromium.log'"
check "the script ran (headers became sortable)" grep -q 'class="[^"]*sortable' "$T/dom.html"
check "rendered DOM: no empty panel" no_empty_panel "$T/dom.html"
check "rendered DOM: no exponent in a table cell" no_exponent_cell "$T/dom.html"
timeout 120 "$CHROMIUM" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" --screenshot="$T/shot.png" \
  --window-size=1400,2000 "file://$T/report.html" >/dev/null 2>&1
check "screenshot taken" test "$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)" -gt 20000
timeout 120 "$CHROMIUM" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" --screenshot="$T/phone.png" \
  --window-size=390,1600 "file://$T/report.html" >/dev/null 2>&1
check "phone-width screenshot taken" test "$(stat -c %s "$T/phone.png" 2>/dev/null || echo 0)" -gt 20000
exit $fail
