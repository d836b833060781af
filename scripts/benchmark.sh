#!/usr/bin/env bash
# The speed benchmark (benchmarks/speed.py): plain Optuna + Flair loop vs flair-hpo, side by side.
#   bash scripts/benchmark.sh trec --trials 12 --epochs 3     (about 15 minutes on 2 CPU cores)
#   bash scripts/benchmark.sh wnut --trials 6 --epochs 3
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
.venv/bin/python benchmarks/speed.py "$@"
