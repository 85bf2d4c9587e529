#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, and runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
exec ./build/capsearch plan --model meta-llama/Meta-Llama-3-70B --device h100 --tp 4
