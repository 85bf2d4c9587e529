#!/usr/bin/env bash
# The shape limits (scripts/check-shape.sh): first the checker itself on made-up files at and just
# past each limit -- so this test can fail -- then the real src/ and include/.
set -u
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CHECK=$SRC/scripts/check-shape.sh
. "$(dirname "$0")/check_lib.sh"

# fn NAME LINES: a C function definition spanning exactly LINES lines
fn() {
  echo "int $1(int x) {"
  for ((i = 0; i < $2 - 3; i++)); do echo "  x += $i;"; done
  echo "  return x;"
  echo "}"
}

mkdir -p "$T/ok/src" "$T/bad/src" "$T/bad/include"
{ fn at_limit 100; fn small 5; } >"$T/ok/src/a.c"
{ echo "/* exactly 600 lines */"; for ((i = 1; i < 600; i++)); do echo "int v$i;"; done; } >"$T/ok/src/b.h"
{ fn fine 100; fn too_long 101; } >"$T/bad/src/a.c"
{ echo "static inline int h(int x) {"; for ((i = 0; i < 99; i++)); do echo "  x++;"; done; echo "  return x;"; echo "}"; } \
  >"$T/bad/include/h.h" # 102 lines: a header's inline function counts too
for ((i = 0; i < 601; i++)); do echo "int w$i;"; done >"$T/bad/src/big.c"

(cd "$T/ok" && "$CHECK" src) >"$T/out" 2>&1
rc=$?
if [ $rc -eq 2 ]; then cat "$T/out"; echo "FAIL universal-ctags is missing (scripts/deps.sh installs it)"; exit 1; fi
check "a 100-line function and a 600-line file pass" test $rc -eq 0
(cd "$T/bad" && "$CHECK" src include) >"$T/out" 2>&1
rc=$?
check "a 101-line function, a 102-line inline function and a 601-line file fail" test $rc -eq 1
check "names the long function with its place and length" grep -qx 'src/a.c:101: function too_long is 101 lines (at most 100)' "$T/out"
check "names the header's long inline function" grep -qx 'include/h.h:1: function h is 102 lines (at most 100)' "$T/out"
check "names the long file" grep -qx 'src/big.c:1: 601 lines (at most 600)' "$T/out"
check "does not name the function at the limit" bash -c "! grep -q ' fine ' '$T/out'"

(cd "$SRC" && "$CHECK") >"$T/out" 2>&1
rc=$?
check "src/ and include/ keep within the limits" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/out"
exit $fail
