"""The search-quality benchmark: how close to the grid's best model each way of searching gets, and how fast.

    .venv/bin/python benchmarks/search_quality.py tabulate trec     # train the grid into benchmarks/tables/
    .venv/bin/python benchmarks/search_quality.py replay trec wnut pos --seeds 50
    .venv/bin/python benchmarks/search_quality.py real trec --searches 3 --budget 0.1

``tabulate`` trains a scenario's grid once (hours on 2 CPU cores: see quality_tables.py). ``replay`` replays
every variant (quality_variants.py) over ``--seeds`` strategy seeds at several budgets, each a fraction of
the grid's training time, and writes benchmarks/results/quality.{json,md} and quality-curves.png. ``real``
runs real searches and compares them with their replays.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from quality_scenarios import REPO, SCENARIOS

RESULTS = REPO / "benchmarks" / "results"
CURVE_BUDGETS = (0.02, 0.05, 0.1, 0.15, 0.25, 0.35, 0.5)
TABLE_BUDGETS = (0.05, 0.1, 0.25)
#: The variants drawn in the plot: the default and the baselines (the table lists every variant).
PLOTTED = ("default", "random", "bayesian", "evolutionary", "optuna-tpe", "grid")


def replay_all(names: list[str], seeds: int, only: list[str] | None) -> dict:
    from quality_replay import Table, replay, summarize
    from quality_tables import TABLES
    from quality_variants import variants

    results = {}
    for name in names:
        table = Table.load(TABLES / f"{name}.json")
        space = SCENARIOS[name].build_space()
        found = variants(table.max_epochs)
        chosen = [found[v] for v in only] if only else list(found.values())
        scenario = {
            "title": table.title,
            "configurations": len(table.keys),
            "seeds_per_configuration": table.replicates,
            "grid_seconds": table.grid_seconds,
            "best_true_dev": table.best_dev,
            "within_half_point_of_best": sum(v >= table.best_dev - 0.005 for v in table.true_dev.values()),
            "variants": {},
        }
        for variant in chosen:
            curve = {}
            for budget in sorted(set(CURVE_BUDGETS) | set(TABLE_BUDGETS)):
                outcomes = [replay(table, space, variant, budget, seed) for seed in range(seeds)]
                curve[str(budget)] = {**summarize(table, outcomes), "regrets": [round(o.regret, 4) for o in outcomes]}
            scenario["variants"][variant.name] = curve
            at10 = curve["0.1"]
            print(
                f"{name} {variant.name:20s} 10%: median regret {at10['median_regret']:.2f}, "
                f"within 0.5 point {at10['within_half_point']:.0%}",
                flush=True,
            )
        results[name] = scenario
    return results


def markdown(results: dict, seeds: int) -> str:
    lines = []
    for scenario in results.values():
        lines += [
            f"### {scenario['title']}",
            "",
            f"{scenario['configurations']} configurations, each trained with {scenario['seeds_per_configuration']} "
            f"seeds; grid time {scenario['grid_seconds']:.0f} s (1 CPU thread); best true dev "
            f"{scenario['best_true_dev']:.4f}; {scenario['within_half_point_of_best']} within 0.5 point of "
            f"it. {seeds} searches per cell. Regret in dev points (x100).",
            "",
            "| variant | "
            + " | ".join(f"{int(b * 100)}%: median / p90 regret, within 0.5" for b in TABLE_BUDGETS)
            + " |",
            "|---|" + "---|" * len(TABLE_BUDGETS),
        ]
        for variant, curve in scenario["variants"].items():
            cells = [
                f"{curve[str(b)]['median_regret']:.2f} / {curve[str(b)]['p90_regret']:.2f}, "
                f"{curve[str(b)]['within_half_point']:.0%}"
                for b in TABLE_BUDGETS
            ]
            lines.append(f"| {variant} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for axis, (name, scenario) in zip(axes[0], results.items(), strict=True):
        for variant, curve in scenario["variants"].items():
            if variant not in PLOTTED:
                continue
            budgets = sorted(float(b) for b in curve)
            medians = [curve[str(b)]["median_regret"] for b in budgets]
            quartiles = [statistics.quantiles(curve[str(b)]["regrets"], n=4) for b in budgets]
            width = 2.5 if variant == "default" else 1.2
            (line,) = axis.plot(
                [100 * b for b in budgets], medians, marker="o", markersize=3, linewidth=width, label=variant
            )
            axis.fill_between(
                [100 * b for b in budgets],
                [q[0] for q in quartiles],
                [q[2] for q in quartiles],
                color=line.get_color(),
                alpha=0.08,
            )
        axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
        axis.set_title(name)
        axis.set_xlabel("% of the grid's training time")
        axis.set_ylabel("median regret, quartiles shaded (dev points)")
        axis.set_yscale("symlog", linthresh=1.0)
        axis.set_ylim(bottom=0)
    axes[0][-1].legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


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
    real = commands.add_parser("real", help="real searches against their replays")
    real.add_argument("scenario", choices=sorted(SCENARIOS))
    real.add_argument("--searches", type=int, default=3)
    real.add_argument("--budget", type=float, default=0.1, help="fraction of the grid's time")
    args = parser.parse_args(argv)
    if args.command == "tabulate":
        import quality_tables

        quality_tables.run(args.scenario, args.threads)
    elif args.command == "replay":
        only = args.variants.split(",") if args.variants else None
        results = replay_all(args.scenarios, args.seeds, only)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "quality.json").write_text(json.dumps(results, indent=1) + "\n")
        (RESULTS / "quality.md").write_text(markdown(results, args.seeds))
        plot(results, RESULTS / "quality-curves.png")
        print(markdown(results, args.seeds))
    else:
        import quality_real

        quality_real.run(args.scenario, args.searches, args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
