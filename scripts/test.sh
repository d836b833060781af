#!/usr/bin/env bash
# Sets everything up, then runs the linter and the whole test suite (real training on TREC_6 and WNUT_17).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
# The report test opens report.html in Debian's chromium; as root, install it when it is missing.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/python -m pytest "$@"
