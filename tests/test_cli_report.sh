#!/usr/bin/env bash
# capsearch report: one self-contained HTML file whose SVG plots carry data points, rendered in
# headless Chromium (Debian's `chromium`, installed here when absent) without console errors.
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
check "no script, no external resources" bash -c "! grep -qiE '<script|<link |src=\"http|url\\(http' '$T/report.html'"
check "has Pareto, bar, CDF and probe plots" bash -c "grep -q 'Pareto front' '$T/report.html' && grep -q 'cs-bars' '$T/report.html' && grep -q 'TTFT CDF' '$T/report.html' && grep -q 'search probes of aaaa0001' '$T/report.html'"
check "plots carry data points" test "$(count 'class="cs-point"' "$T/report.html")" -ge 10
check "bars carry data" test "$(count 'class="cs-bar"' "$T/report.html")" -ge 4
check "says the directory is partial" grep -q "Partial output directory" "$T/report.html"
"$CAPSEARCH" report "$T/out" 2>/dev/null
check "default output is OUT/analysis/report.html" test -s "$T/out/analysis/report.html"
"$CAPSEARCH" report "$T/missing" -o "$T/x.html" 2>/dev/null; check "missing directory: exit 2" test $? -eq 2

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
timeout 120 "$CHROMIUM" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" --screenshot="$T/shot.png" \
  --window-size=1400,2000 "file://$T/report.html" >/dev/null 2>&1
check "screenshot taken" test "$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)" -gt 20000
exit $fail
