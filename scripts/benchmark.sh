#!/usr/bin/env bash
# The benchmarks, after setting everything up:
#   bash scripts/benchmark.sh trec --trials 12 --epochs 3     speed: plain Optuna + Flair loop vs flair-hpo
#   bash scripts/benchmark.sh wnut --trials 6 --epochs 3       (benchmarks/speed.py; about 15 minutes each)
#   bash scripts/benchmark.sh quality replay trec wnut pos     search quality, replayed on the tables in
#   bash scripts/benchmark.sh quality real trec                benchmarks/tables (benchmarks/search_quality.py)
#   bash scripts/benchmark.sh quality report                   intervals and README tables from quality.json
#   bash scripts/benchmark.sh quality loso --seeds 100         startup_trials leaving one scenario out
#   bash scripts/benchmark.sh threads --rounds 3 --busy 1      CPU threads per trial, --workers auto
#                                                              (benchmarks/threads.py; about 20 minutes)
#   bash scripts/benchmark.sh usage-error [--runs 10] [--src DIR]   seconds from `flair-hpo run` with a
#                                                              mistake to its exit (benchmarks/usage_error.py)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
if [ "${1:-}" = threads ]; then
    shift
    exec .venv/bin/python benchmarks/threads.py "$@"
fi
if [ "${1:-}" = usage-error ]; then
    shift
    exec .venv/bin/python benchmarks/usage_error.py "$@"
fi
if [ "${1:-}" = quality ]; then
    shift
    cd benchmarks && exec ../.venv/bin/python search_quality.py "$@"
fi
.venv/bin/python benchmarks/speed.py "$@"
