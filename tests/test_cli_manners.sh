#!/usr/bin/env bash
# One manner on every command: `capsearch help CMD` prints exactly `capsearch CMD --help` (exit
# 0, stdout); a misspelled flag gets one line on stderr with "did you mean" and exit 2; a flag
# without its value says so in one line, exit 2; an unknown command or subcommand suggests.
set -u
CAPSEARCH=${1:?usage: test_cli_manners.sh CAPSEARCH}
. "$(dirname "$0")/check_lib.sh"

# command (with subcommand) | a misspelled flag | the flag it should suggest | a flag needing a value
cases=(
  "sweep|--confg|--config|--output-dir"
  "simulate|--modle|--model|--qps"
  "plan|--devcie|--device|--device"
  "recommend|--modle|--model|--qps"
  "analyze|--target-qsp|--target-qps|--headroom"
  "report|--outptu|--output|--output"
  "list|--jsno|--json|--config-dir"
  "trace info|--max-seq-lne|--max-seq-len|--block-size"
  "trace convert|--max-rosw|--max-rows|--format"
  "trace generate|--requsts|--requests|--requests"
  "predictor check|--profling-dir|--profiling-dir|--device"
  "predictor time|--bach|--batch|--model"
)
for c in "${cases[@]}"; do
  IFS='|' read -r cmd typo want valued <<< "$c"
  read -r -a words <<< "$cmd"
  "$CAPSEARCH" "${words[@]}" --help > "$T/a" 2> "$T/ae"
  rc_a=$?
  "$CAPSEARCH" help "${words[@]}" > "$T/b" 2> "$T/be"
  rc_b=$?
  check "$cmd: --help exits 0 on stdout" test $rc_a -eq 0 -a -s "$T/a" -a ! -s "$T/ae"
  check "$cmd: help $cmd = $cmd --help" cmp -s "$T/a" "$T/b"
  check "$cmd: help $cmd exits 0" test $rc_b -eq 0

  "$CAPSEARCH" "${words[@]}" "$typo" x > "$T/o" 2> "$T/e"
  rc=$?
  check "$cmd $typo: exit 2" test $rc -eq 2
  check "$cmd $typo: one line" test "$(wc -l < "$T/e")" -eq 1
  check "$cmd $typo: suggests $want" grep -q "unknown option '$typo' (did you mean '$want'?)" "$T/e"
  check "$cmd $typo: nothing on stdout" test ! -s "$T/o"

  "$CAPSEARCH" "${words[@]}" "$valued" > "$T/o" 2> "$T/e"
  rc=$?
  check "$cmd $valued (no value): exit 2, one line" test $rc -eq 2 -a "$(wc -l < "$T/e")" -eq 1
  check "$cmd $valued (no value): says it needs a value" grep -q "option '$valued' needs a value" "$T/e"
done

"$CAPSEARCH" plan -devcie h100 > /dev/null 2> "$T/e"
check "one-dash long option suggests the long name" grep -q "did you mean '--device'?" "$T/e"
"$CAPSEARCH" list --json=yes devices > /dev/null 2> "$T/e"
check "a value on a flag that takes none" grep -q "option '--json' takes no value" "$T/e"
"$CAPSEARCH" plann > /dev/null 2> "$T/e"
check "unknown command suggests (exit 2)" test $? -eq 2
check "unknown command suggests" grep -q "did you mean 'plan'" "$T/e"
"$CAPSEARCH" help analyse > /dev/null 2> "$T/e"
check "help of an unknown command suggests (exit 2)" test $? -eq 2
check "help of an unknown command suggests" grep -q "did you mean 'analyze'" "$T/e"
"$CAPSEARCH" predictor chek > /dev/null 2> "$T/e"
check "unknown predictor subcommand suggests" grep -q "did you mean 'check'" "$T/e"
"$CAPSEARCH" help > "$T/a"
"$CAPSEARCH" --help > "$T/b"
check "help = --help" cmp -s "$T/a" "$T/b"
check "--help documents the exit status" grep -q "^exit status: 0 success; 1 .*; 2 usage" "$T/a"
exit $fail
