#!/usr/bin/env bash
# Sets everything up, then runs the linter and the whole test suite (real training on TREC_6 and WNUT_17).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/python -m pytest "$@"
