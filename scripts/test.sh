#!/usr/bin/env bash
# Sets everything up, then runs the linter and the whole test suite (real training on TREC_6 and WNUT_17).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/flair-cache.sh
# The report test opens report.html in Debian's chromium; the fault tests run a worker with a clock that is
# off (libfaketime). As root, install what is missing.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check src tests examples benchmarks
# The workers of many machines are tested against a real PostgreSQL server: one for the whole run, unless one was
# given (FLAIR_HPO_TEST_POSTGRES, as .ci/run gives it).
if [ -z "${FLAIR_HPO_TEST_POSTGRES:-}" ]; then
  source scripts/postgres.sh start
  trap 'bash scripts/postgres.sh stop' EXIT
fi
# Two test processes share the machine's cores: most tests wait on processes, signals, heartbeats and servers.
# worksteal: a process that runs out of tests takes some of the other's, so a few long tests at the end of one
# process's share do not leave the other idle. The slowest 25 tests and the total are printed at the end.
.venv/bin/python -m pytest -n "${FLAIR_HPO_TEST_PROCESSES:-2}" --dist worksteal -m "not peers" "$@"
# The tests of the public optimizers the search-quality benchmark replays, in their own environment.
if [ $# -eq 0 ]; then
  bash scripts/setup-peers.sh
  .venv-peers/bin/python -m pytest -p no:cacheprovider -m peers tests/test_search_quality.py
fi
