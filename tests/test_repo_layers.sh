#!/usr/bin/env bash
# The layering (scripts/check-layers.sh): first the checker on a made-up tree with one include
# against the library order and one internal header in the CLI -- so this test can fail -- then
# the real tree.
set -u
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CHECK=$SRC/scripts/check-layers.sh
. "$(dirname "$0")/check_lib.sh"

mk() { # mk ROOT: util <- low <- high, and a CLI
  mkdir -p "$1/src/util" "$1/src/low" "$1/src/high" "$1/src/cli"
  printf 'cs_module(util DEPS m)\ncs_module(low DEPS cs_util)\ncs_module(high DEPS cs_low cs_util)\n' >"$1/CMakeLists.txt"
  echo '#include "util/u.h"' >"$1/src/low/l.c"
  printf '#include "low/l.h"\n#include "util/u.h"\n#include "capsearch/x.h"\n' >"$1/src/high/h.c"
  printf '#include "capsearch/x.h"\n#include "cli/c.h"\n' >"$1/src/cli/main.c"
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
exit $fail
