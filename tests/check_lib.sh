# Shared set-up of the shell tests that count named checks, sourced after `set -u` as
# `. "$(dirname "$0")/check_lib.sh"`. It sets T (a scratch directory removed at exit; a test that
# sets its own EXIT trap removes it too), fail (0 until a check fails) and
#   check NAME COMMAND...   runs COMMAND, prints "ok   NAME" or "FAIL NAME" and records a failure.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check NAME COND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
