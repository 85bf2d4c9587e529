#!/usr/bin/env bash
# The layering (scripts/check-layers.sh): first the checker on a made-up tree with one include
# against the library order and one internal header in the CLI -- so this test can fail -- then
# the real tree; then the compiler with the capsearch executable's own include path (from the
# build, CS_CLI_INCLUDES): every public header compiles alone, an internal one is not found.
set -u
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CHECK=$SRC/scripts/check-layers.sh
. "$(dirname "$0")/check_lib.sh"

mk() { # mk ROOT: util <- low <- high, and a CLI
  mkdir -p "$1/src/util" "$1/src/low" "$1/src/high" "$1/src/cli"
  printf 'cs_module(util DEPS m)\ncs_module(low DEPS cs_util)\ncs_module(high DEPS cs_low cs_util)\n' >"$1/CMakeLists.txt"
  echo '#include "util/u.h"' >"$1/src/low/l.c"
  printf '#include "low/l.h"\n#include "util/u.h"\n#include "capsearch/x.h"\n' >"$1/src/high/h.c"
  printf '#include "capsearch/x.h"\n#include "c.h"\n' >"$1/src/cli/main.c"
}
mk "$T/ok"
"$CHECK" "$T/ok" >"$T/out" 2>&1
check "a tree that includes downwards only passes" test $? -eq 0
mk "$T/bad"
echo '#include "high/h.h"' >>"$T/bad/src/low/l.c"
echo '#include "low/l.h"' >>"$T/bad/src/cli/main.c"
"$CHECK" "$T/bad" >"$T/out" 2>&1
check "an upward include and an internal header in the CLI fail" test $? -eq 1
check "names the upward include" grep -q '^src/low/l.c:2: src/low includes "high/h.h"' "$T/out"
check "names the CLI's internal include" grep -q '^src/cli/main.c:3: the CLI includes the internal header "low/l.h"' "$T/out"

"$CHECK" >"$T/out" 2>&1
rc=$?
check "src/ keeps to the library order and the CLI to public headers" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/out"

if [ -z "${CS_CC:-}" ] || [ -z "${CS_CLI_INCLUDES:-}" ]; then
  echo "test_repo_layers: CS_CC / CS_CLI_INCLUDES not set (run through ctest): include path not checked" >&2
  exit $fail
fi
inc=()
IFS=: read -ra dirs <<<"$CS_CLI_INCLUDES"
for d in "${dirs[@]}"; do inc+=(-I "$d"); done
case " ${dirs[*]} " in *" $SRC/src "*) check "the executable's include path leaves out src/" false ;; esac
for h in "$SRC"/include/capsearch/*.h; do
  printf '#include "capsearch/%s"\n' "${h##*/}" >"$T/pub.c"
  "$CS_CC" -std=c11 -fsyntax-only "${inc[@]}" "$T/pub.c" >"$T/cc.out" 2>&1
  check "capsearch/${h##*/} compiles alone on the executable's include path" test $? -eq 0
done
for h in runner/runner.h store/store.h sched/policy.h predictor/check.h util/sbuf.h util/opt.h; do
  printf '#include "%s"\n' "$h" >"$T/int.c"
  "$CS_CC" -std=c11 -fsyntax-only "${inc[@]}" "$T/int.c" >"$T/cc.out" 2>&1
  check "the internal $h is not found from the executable" test $? -ne 0
done
exit $fail
