#!/usr/bin/env bash
# Sets everything up, then runs the tutorial's search on TREC_6 (about five minutes on 2 CPU cores).
# Results go to hyperopt/trec6 (or the folder given as the first argument); running it again resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
.venv/bin/python examples/tutorial_trec6.py "${1:-hyperopt/trec6}"
