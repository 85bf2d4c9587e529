#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, and runs the
# quickstart capacity search (configs/quickstart.yml, 32 jobs on the shipped traces, about a
# minute on 2 cores), then prints where the answers are. Run it again to resume.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
out=${1:-out/quickstart}
./build/capsearch --config configs/quickstart.yml --output-dir "$out" --time-limit 30
./build/capsearch analyze "$out"
echo
echo "answers:  $out/results.csv (one row per configuration: highest QPS meeting the SLO, GPUs, \$/hour, QPS per dollar)"
echo "analysis: $out/analysis/ (best.csv, pareto.csv, sla.csv, stats.csv, summary.md)"
echo "report:   ./build/capsearch report $out -o $out/report.html"
