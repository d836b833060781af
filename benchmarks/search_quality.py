"""The search-quality benchmark: how close to the grid's best model each way of searching gets, and how fast.

    .venv/bin/python benchmarks/search_quality.py tabulate trec     # train the grid into benchmarks/tables/
    .venv/bin/python benchmarks/search_quality.py replay trec wnut pos --seeds 50
    .venv/bin/python benchmarks/search_quality.py loso --seeds 100          # startup_trials out of sample
    .venv/bin/python benchmarks/search_quality.py real trec --searches 3 --budgets 0.1,0.05 --calibrate 2
    .venv-peers/bin/python benchmarks/search_quality.py peers trec wnut --seeds 40   # the public optimizers
    .venv/bin/python benchmarks/search_quality.py peers-report

``tabulate`` trains a scenario's grid once (hours on 2 CPU cores: see quality_tables.py). ``replay`` replays
every variant (quality_variants.py) over ``--seeds`` strategy seeds at several budgets, each a fraction of
the grid's training time, and writes benchmarks/results/quality.{json,md}, quality-curves.png and the
docs page's tables (a scenario replayed replaces its entry in quality.json; the others are kept, so scenarios
can be replayed in separate runs). ``report`` computes the intervals again from the searches stored in
quality.json and rewrites the tables and the plot. ``real``
runs real searches and compares them with their replays.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from quality_scenarios import REPO, SCENARIOS

RESULTS = REPO / "benchmarks" / "results"
CURVE_BUDGETS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.25)


def replay_scenario(
    name: str, seeds: int, only: list[str] | None, stored: dict | None = None, order: str = "table"
) -> dict:
    """Replay the variants of scenario ``name`` over ``seeds`` strategy seeds: every variant at the tables'
    budgets, the plotted ones along the whole curve; cells with bootstrap intervals (quality_stats). With
    ``only``, just those variants are replayed and the others kept from ``stored`` (same number of seeds).
    ``order``: the options' order the strategies see (quality_orders)."""
    from quality_earlier import earlier_starts
    from quality_orders import in_order
    from quality_replay import Table, replay, summarize
    from quality_report import PLOTTED, TABLE_BUDGETS
    from quality_stats import grid_once, uncertainty
    from quality_tables import TABLES
    from quality_variants import variants

    from flair_hpo.space.starts import start_labels

    table = Table.load(TABLES / f"{name}.json")
    space = in_order(SCENARIOS[name].build_space(), order)
    published = start_labels(space.dimensions, SCENARIOS[name].published)
    found = variants(table.max_epochs, published, earlier_starts(name))
    chosen = [found[v] for v in only] if only else list(found.values())
    scenario = {
        "title": table.title,
        "configurations": len(table.keys),
        "seeds_per_configuration": table.replicates,
        "grid_seconds": table.grid_seconds,
        "best_true_dev": table.best_dev,
        "within_half_point_of_best": sum(v >= table.best_dev - 0.005 for v in table.true_dev.values()),
        "order": order,
        "grid_once": grid_once(table),
        "searches": seeds,
        "variants": dict(stored["variants"]) if only and stored and stored["searches"] == seeds else {},
    }
    for variant in chosen:
        budgets = set(TABLE_BUDGETS) | (set(CURVE_BUDGETS) if variant.name in PLOTTED else set())
        curve = {}
        for budget in sorted(budgets):
            outcomes = [replay(table, space, variant, budget, seed) for seed in range(seeds)]
            curve[str(budget)] = {**summarize(table, outcomes), "regrets": [round(o.regret, 4) for o in outcomes]}
        scenario["variants"][variant.name] = curve
        at10 = curve["0.1"]
        print(
            f"{name} {variant.name:26s} 10%: mean model regret {at10['mean_regret']:.2f}, "
            f"within 0.5 point {at10['within_half_point']:.0%}",
            flush=True,
        )
    uncertainty(table, {"grid-once": {"1.0": scenario["grid_once"]}}, (1.0,))  # its interval
    scenario["differences"] = uncertainty(table, scenario["variants"], TABLE_BUDGETS)
    return scenario


def rejudged(results: dict) -> dict:
    """``results`` with every interval computed again from the stored searches (no replay needed)."""
    from quality_replay import Table
    from quality_report import TABLE_BUDGETS
    from quality_stats import grid_once, uncertainty
    from quality_tables import TABLES

    for name, scenario in results.items():
        table = Table.load(TABLES / f"{name}.json")
        scenario["grid_once"] = grid_once(table)
        uncertainty(table, {"grid-once": {"1.0": scenario["grid_once"]}}, (1.0,))  # its interval
        scenario["differences"] = uncertainty(table, scenario["variants"], TABLE_BUDGETS)
    return results


def _path(order: str = "table") -> Path:
    """Where the replays of the flair-hpo variants in ``order`` are kept (the table's order: the docs' tables)."""
    return RESULTS / ("quality.json" if order == "table" else f"quality-{order}.json")


def _stored(order: str = "table") -> dict:
    path = _path(order)
    return json.loads(path.read_text()) if path.exists() else {}


def write_results(results: dict) -> None:
    """quality.json, quality.md, the plot and docs/search-quality.md's tables, all from ``results``."""
    from quality_loso import PATH as LOSO
    from quality_report import plot, tables, update_page

    order = [name for name in SCENARIOS if name in results]  # docs/search-quality.md's order, whatever ran last
    results = {name: results[name] for name in order}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "quality.md").write_text(tables(results, "###"))
    plot(results, RESULTS / "quality-curves.png")
    reals = {
        name: json.loads(path.read_text()) for name in order if (path := RESULTS / f"quality-real-{name}.json").exists()
    }
    update_page(results, json.loads(LOSO.read_text()) if LOSO.exists() else None, reals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    tabulate = commands.add_parser("tabulate", help="train a scenario's grid into its table")
    tabulate.add_argument("scenario", choices=sorted(SCENARIOS))
    tabulate.add_argument("--threads", type=int, default=1, help="PyTorch threads (1: timings robust to load)")
    replay = commands.add_parser("replay", help="replay the variants against the tables")
    replay.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    replay.add_argument("--seeds", type=int, default=50, help="searches per variant and budget")
    replay.add_argument("--variants", help="comma-separated names (default: all)")
    replay.add_argument(
        "--order",
        choices=("table", "rotated"),
        default="table",
        help="the options' order the strategies see: the table's, or each dimension's rotated by half "
        "(quality_orders.py; written to quality-rotated.json, not to the docs page)",
    )
    commands.add_parser(
        "report", help="intervals, quality.md, the plot and the docs page's tables from the searches in quality.json"
    )
    peers = commands.add_parser("peers", help="replay the public optimizers (quality_peers; needs .venv-peers)")
    peers.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    peers.add_argument("--seeds", type=int, default=40, help="searches per peer and cell")
    peers.add_argument("--baseline-seeds", type=int, default=100, help="searches per flair-hpo baseline and cell")
    peers.add_argument("--peers", help="comma-separated names (default: all of quality_peers.PEERS)")
    peers.add_argument("--orders", default="table,rotated", help="the options' orders (quality_orders.py)")
    peers.add_argument("--part", default="", help="write beside a run in progress (merged by peers-report)")
    peers.add_argument("--budgets", default="0.05,0.1,0.25", help="fractions of the grid's time")
    commands.add_parser("peers-report", help="intervals and the docs page's headline and peers tables")
    loso = commands.add_parser("loso", help="choose startup_trials leaving one scenario out (quality_loso.py)")
    loso.add_argument("--seeds", type=int, default=100, help="searches per candidate, scenario and budget")
    real = commands.add_parser("real", help="real searches against their replays, calibrated on other searches")
    real.add_argument("scenario", choices=sorted(SCENARIOS))
    real.add_argument("--searches", type=int, default=3, help="strategy seeds per budget")
    real.add_argument("--budgets", default="0.1,0.05", help="fractions of the grid's time (the first calibrates)")
    real.add_argument("--calibrate", type=int, default=2, help="searches of the first budget that calibrate")
    args = parser.parse_args(argv)
    if args.command == "tabulate":
        import quality_tables

        quality_tables.run(args.scenario, args.threads)
    elif args.command == "replay":
        only = args.variants.split(",") if args.variants else None
        for name in args.scenarios:  # each scenario is written as soon as it is done: runs can be split
            results = _stored(args.order)
            results[name] = replay_scenario(name, args.seeds, only, results.get(name), args.order)
            if args.order == "table":
                write_results(results)
            else:
                _path(args.order).write_text(json.dumps(results, indent=1) + "\n")
    elif args.command == "report":
        import quality_loso

        if quality_loso.PATH.exists():  # the held-out choices judged against the default as it is now
            loso = json.loads(quality_loso.PATH.read_text())
            loso["held_out"] = quality_loso.choose(loso["cells"])
            quality_loso.PATH.write_text(json.dumps(loso, indent=1) + "\n")
        write_results(rejudged(_stored()))
    elif args.command == "peers":
        from quality_peers import PEERS
        from quality_peers.runner import replay_peers

        chosen = tuple(args.peers.split(",")) if args.peers else PEERS
        orders = tuple(args.orders.split(","))
        budgets = tuple(float(b) for b in args.budgets.split(","))
        replay_peers(args.scenarios, orders, chosen, args.seeds, args.baseline_seeds, budgets, args.part)
    elif args.command == "peers-report":
        from quality_peers.runner import report

        report()
    elif args.command == "loso":
        import quality_loso

        quality_loso.run(args.seeds)  # then ``report`` writes its table into docs/search-quality.md
    else:
        import quality_real

        budgets = tuple(float(b) for b in args.budgets.split(","))
        quality_real.run(args.scenario, args.searches, budgets, args.calibrate)
        from quality_report import update_calibration

        update_calibration()
    return 0


if __name__ == "__main__":
    sys.exit(main())
