#!/usr/bin/env bash
# cmake --install: the binary, the catalogs, one man page per command and the bash/zsh completion
# land under the prefix; the installed tree still works after it is moved (the binary finds
# share/capsearch relative to itself); --version names the commit and the build options; the
# build-tree binary works from any directory.
set -u
CAPSEARCH=${1:?usage: test_cli_install.sh CAPSEARCH}
BDIR=$(cd "$(dirname "$CAPSEARCH")" && pwd)
CAPSEARCH=$BDIR/$(basename "$CAPSEARCH")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset CAPSEARCH_CONFIG_DIR
fail=0
check() { # check NAME COND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

cmake --install "$BDIR" --prefix "$T/P" > "$T/install.log" 2>&1
check "cmake --install exits 0" test $? -eq 0
mv "$T/P" "$T/Q"
mkdir "$T/elsewhere"
cd "$T/elsewhere" || exit 1
Q=$T/Q
"$Q/bin/capsearch" plan --model meta-llama/Meta-Llama-3-8B --device h100 > out 2> err
check "moved install: plan exits 0 from another directory" test $? -eq 0
check "moved install: plan prints a breakdown" grep -qE "^fits +yes$" out
for f in models.yaml devices.yaml networks.yaml; do
  check "catalog $f installed" test -f "$Q/share/capsearch/$f"
done
# the installed catalogs are the ones read: without networks.yaml the error names that path
mv "$Q/share/capsearch/networks.yaml" "$T/networks.yaml"
"$Q/bin/capsearch" list devices > out 2> err
check "moved install reads its own share/capsearch" grep -q "$Q/share/capsearch" err
mv "$T/networks.yaml" "$Q/share/capsearch/networks.yaml"

"$Q/bin/capsearch" --version > out
check "--version: version line first" grep -qE "^capsearch [0-9]+\.[0-9]+\.[0-9]+" out
check "--version: commit" grep -qE "^commit: [0-9a-f]{7,}|^commit: unknown" out
check "--version: OpenMP" grep -qE "^OpenMP: (yes|no)" out
check "--version: MPI" grep -qE "^MPI: (yes|no)" out

if command -v help2man > /dev/null; then
  for c in "" -sweep -simulate -plan -recommend -analyze -report -list -trace -predictor; do
    check "man page capsearch$c.1 installed" test -f "$Q/share/man/man1/capsearch$c.1"
  done
  if command -v man > /dev/null; then
    MANWIDTH=100 man -l "$Q/share/man/man1/capsearch.1" > out 2> /dev/null
    check "man -l capsearch.1 renders the page" grep -q "capsearch - LLM-serving capacity planning" out
    MANWIDTH=100 man -l "$Q/share/man/man1/capsearch-plan.1" > out 2> /dev/null
    check "man -l capsearch-plan.1 documents --device" grep -q -- "--device NAME" out
  fi
else
  echo "skip man pages: help2man is not installed (scripts/deps.sh installs it)"
fi

BASHC=$Q/share/bash-completion/completions/capsearch
check "bash completion installed" test -f "$BASHC"
check "zsh completion installed" test -f "$Q/share/zsh/site-functions/_capsearch"
complete_words() { # complete_words WORD... : COMPREPLY for the last word
  bash -c 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _capsearch; echo "${COMPREPLY[*]}"' \
    "$BASHC" "$@"
}
check "bash completes a command" test "$(complete_words "$Q/bin/capsearch" pla)" = "plan"
check "bash completes a flag from --help" test "$(complete_words "$Q/bin/capsearch" plan --dev)" = "--device"
check "bash completes a device from the catalog" \
  grep -qw h100 <<< "$(complete_words "$Q/bin/capsearch" plan --device h)"
if command -v zsh > /dev/null; then
  check "zsh completion parses" zsh -n "$Q/share/zsh/site-functions/_capsearch"
fi

# the build-tree binary finds the checkout's configs/ from any directory
"$CAPSEARCH" list devices > out 2> err
check "build-tree binary from another directory" grep -q "^h100 " out
exit $fail
