#!/usr/bin/env bash
# Configures and builds capsearch into build/ (or $CS_BUILD_DIR). Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${CS_BUILD_DIR:-$root/build}
"$root/scripts/deps.sh"
cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=${CS_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$bdir" -j"$(nproc)"
