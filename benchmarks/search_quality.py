"""The search-quality benchmark: how close to the grid's best model each strategy gets, and how fast.

.venv/bin/python benchmarks/search_quality.py tabulate trec      # train the grid into benchmarks/tables/
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    tabulate = commands.add_parser("tabulate", help="train a scenario's grid into its table")
    tabulate.add_argument("scenario")
    tabulate.add_argument("--threads", type=int, default=1, help="PyTorch threads (1: timings robust to load)")
    args = parser.parse_args(argv)
    if args.command == "tabulate":
        import quality_tables

        quality_tables.run(args.scenario, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
