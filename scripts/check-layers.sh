#!/usr/bin/env bash
# The layering of the code (docs/architecture.md), from the #include lines:
#  - a library src/<m> includes only public headers (capsearch/...), its own, and those of the
#    libraries it links (the DEPS of `cs_module(<m> DEPS ...)` in CMakeLists.txt, transitively),
#    so the include graph has the same one-way order as the link graph;
#  - the command-line program (src/cli) includes only public headers and its own (by bare name,
#    beside its sources): its include path is include/ alone (CMakeLists.txt), so the compiler
#    refuses anything else too; this check names the line in the same words as the first rule.
# Prints one line per offending include, `FILE:LINE: what`, and exits 1 if there is any.
#   scripts/check-layers.sh [ROOT]      default: this checkout
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

declare -A deps
while read -r name rest; do
  deps[$name]=$( (grep -o 'cs_[a-z]*' <<<"$rest" || true) | sed 's/^cs_//' | tr '\n' ' ')
done < <(sed -n 's/^cs_module(\([a-z]*\) DEPS \(.*\))$/\1 \2/p' CMakeLists.txt)
[ ${#deps[@]} -gt 0 ] || { echo "check-layers: no cs_module(... DEPS ...) lines in $root/CMakeLists.txt" >&2; exit 2; }

closure() { # closure MODULE: the module and every library it links, transitively
  local todo=("$1") seen=" " m
  while [ ${#todo[@]} -gt 0 ]; do
    m=${todo[0]}
    todo=("${todo[@]:1}")
    case "$seen" in *" $m "*) continue ;; esac
    seen="$seen$m "
    for d in ${deps[$m]:-}; do todo+=("$d"); done
  done
  echo "$seen"
}

bad=0
for m in $(printf '%s\n' "${!deps[@]}" | LC_ALL=C sort); do
  allowed=$(closure "$m")
  while IFS=: read -r f line hdr; do
    top=${hdr%%/*}
    case "$allowed" in *" $top "*) continue ;; esac
    echo "$f:$line: src/$m includes \"$hdr\" but links only:$allowed"
    bad=1
  done < <(grep -Hn '^#include "[a-z_]*/' $(find "src/$m" -name '*.[ch]' | LC_ALL=C sort) 2>/dev/null |
           sed 's/^\([^:]*\):\([0-9]*\):#include "\([^"]*\)".*/\1:\2:\3/' | grep -v ':capsearch/')
done

while IFS=: read -r f line hdr; do
  case "$hdr" in capsearch/*) continue ;; */*) ;; *) continue ;; esac # its own: a bare name
  echo "$f:$line: the CLI includes the internal header \"$hdr\"; give it a public entry point in include/capsearch/"
  bad=1
done < <(grep -Hn '^#include "' $(find src/cli -name '*.[ch]' | LC_ALL=C sort) |
         sed 's/^\([^:]*\):\([0-9]*\):#include "\([^"]*\)".*/\1:\2:\3/')
exit $bad
