"""Learned starts for a recipe: a greedy portfolio from the search-quality tables, and its leave-one-corpus-out test.

    .venv/bin/python benchmarks/portfolio.py write              # the shipped portfolio, from every table
    .venv/bin/python benchmarks/portfolio.py measure --searches 100
    .venv/bin/python benchmarks/portfolio.py measure --searches 50 --held-out cr   # one corpus apart; then
    .venv/bin/python benchmarks/portfolio.py report                                 # merges them, writes the docs

``write`` builds the portfolio of each recipe from all of its tables in benchmarks/tables/ and writes it into
the package (src/flair_hpo/space/portfolios/RECIPE.json), where the recipe's search trains it first.

The construction (as auto-sklearn 2.0's portfolio, or Pfisterer et al., "Learning multiple defaults for machine
learning algorithms", 2021): each table gives every configuration of the recipe's grid a quality, the mean over
the table's seeds of the best dev epoch on the whole training split (dev only: test is never looked at), as a
normalized regret on that corpus (0 for the grid's best, 1 for its worst). Configurations are picked one at a
time, each the one that most lowers the mean over the corpora of the best normalized regret so far. Ties (once
every corpus has its best, or with a single table) go to the configuration with the lower mean normalized regret
of its own, then to the smaller configuration key: the construction is deterministic.

``measure`` tests the portfolio leave one corpus out: on each corpus, the portfolio built from the *other*
tables is replayed (quality_replay.py) as the recipe's search would train it (the portfolio, then the published
configuration, then the default strategy), against the same default with the published start only (the recipe
without a portfolio), the default with no start, and random search with successive halving; in both options'
orders (quality_orders.py), at 5, 10 and 25% of the grid's time, with 95% bootstrap intervals (quality_stats.py).
It writes benchmarks/results/quality-portfolio.json and its table in docs/search-quality.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from quality_scenarios import REPO, SCENARIOS

#: The scenarios whose grids discretise each recipe's space (TREC_6's grid is the classifier-frozen recipe's
#: space too: quality_scenarios.CLASSIFIER_GRID); those with a table in benchmarks/tables/ are used.
RECIPE_SCENARIOS = {"classifier-frozen": ("trec", "cr", "subj", "mpqa", "trec_50")}
#: The parameters a portfolio's configurations give: each recipe's searched ones (the others have one option).
TUNED = {
    "classifier-frozen": (
        "ModelTrainer.learning_rate",
        "ModelTrainer.mini_batch_size",
        "TransformerDocumentEmbeddings.cls_pooling",
    )
}
#: How many configurations a portfolio holds.
SIZE = 4
SHIPPED = REPO / "src" / "flair_hpo" / "space" / "portfolios"
RESULTS = REPO / "benchmarks" / "results" / "quality-portfolio.json"
BUDGETS = (0.05, 0.1, 0.25)
ORDERS = ("table", "rotated")
VARIANTS = ("default+portfolio", "default+start", "default", "random+halving")
CLAIMS = (
    ("default+portfolio", "default+start"),
    ("default+portfolio", "random+halving"),
    ("default+portfolio", "default"),
    ("default+start", "random+halving"),
)
BEGIN = "<!-- portfolio:begin (generated from benchmarks/results/quality-portfolio.json) -->"
END = "<!-- portfolio:end -->"


# ---------------------------------------------------------------------------------------------- construction
def normalized_regrets(scores: dict[str, float]) -> dict[str, float]:
    """Each configuration's regret on one corpus scaled to [0, 1]: 0 for the best score, 1 for the worst."""
    best, worst = max(scores.values()), min(scores.values())
    spread = best - worst
    return {key: (best - score) / spread if spread > 0 else 0.0 for key, score in scores.items()}


def greedy(scores: dict[str, dict[str, float]], size: int = SIZE) -> list[str]:
    """The greedy portfolio of ``size`` configurations from ``scores`` (corpus to configuration to dev score,
    higher better): each pick lowers most the mean over corpora of the best normalized regret so far."""
    regrets = {corpus: normalized_regrets(found) for corpus, found in scores.items()}
    candidates = sorted(set.intersection(*(set(found) for found in regrets.values())))
    own = {key: statistics.mean(found[key] for found in regrets.values()) for key in candidates}
    best_so_far = dict.fromkeys(regrets, 1.0)
    chosen: list[str] = []
    for _ in range(min(size, len(candidates))):

        def after(key: str, best_so_far: dict[str, float] = best_so_far) -> float:
            return statistics.mean(min(best_so_far[c], regrets[c][key]) for c in regrets)

        # Rounded: sums of the same regrets in another order must tie, and ties go to the better one alone.
        pick = min((key for key in candidates if key not in chosen), key=lambda k: (round(after(k), 12), own[k], k))
        chosen.append(pick)
        best_so_far = {c: min(best_so_far[c], regrets[c][pick]) for c in regrets}
    return chosen


def table_scores(table: Any, tuned: tuple[str, ...]) -> dict[str, str | float]:
    """The table's configurations by their tuned parameters (a canonical JSON key) to their mean dev score."""
    scores: dict[str, Any] = {}
    for key, value in table.true_dev.items():
        labels = json.loads(key)
        fixed = {name for name in labels if name not in tuned}
        assert all(len({json.loads(k)[n] for k in table.keys}) == 1 for n in fixed), f"{table.scenario}: {fixed}"
        scores[json.dumps({name: labels[name] for name in tuned}, sort_keys=True)] = value
    return scores


def available(recipe: str, without: str | None = None) -> list[str]:
    """The scenarios of ``recipe`` with a table, ``without`` one left out."""
    from quality_tables import TABLES

    return [n for n in RECIPE_SCENARIOS[recipe] if n != without and (TABLES / f"{n}.json").exists()]


def build(recipe: str, scenarios: list[str], size: int = SIZE) -> dict[str, Any]:
    """The portfolio of ``recipe`` from the tables of ``scenarios``: its configurations and where they came from."""
    from quality_replay import Table
    from quality_tables import TABLES

    tables = {name: Table.load(TABLES / f"{name}.json") for name in scenarios}
    scores = {name: table_scores(table, TUNED[recipe]) for name, table in tables.items()}
    chosen = greedy(scores, size)
    regrets = {name: normalized_regrets(found) for name, found in scores.items()}
    after, best = [], dict.fromkeys(regrets, 1.0)
    for key in chosen:
        best = {name: min(best[name], regrets[name][key]) for name in regrets}
        after.append(round(statistics.mean(best.values()), 4))
    return {
        "recipe": recipe,
        "configurations": [json.loads(key) for key in chosen],
        "built_from": [
            {
                "table": f"benchmarks/tables/{name}.json",
                "title": table.title,
                "configurations": len(table.keys),
                "seeds": table.replicates,
                "epochs": table.max_epochs,
                # points of dev score below the grid's best, each configuration's mean over the table's seeds
                "regret_points": [round(100 * (max(scores[name].values()) - scores[name][key]), 2) for key in chosen],
            }
            for name, table in tables.items()
        ],
        "mean_normalized_regret_after_each": after,
        "method": "greedy: each configuration lowers most the mean over the tables of the best normalized dev regret "
        "so far (mean over seeds of the best dev epoch); ties to the lower mean normalized regret of its own",
        "command": "python benchmarks/portfolio.py write",
    }


def write() -> list[Path]:
    """Write every recipe's portfolio, from all of its tables, into the package."""
    SHIPPED.mkdir(parents=True, exist_ok=True)
    written = []
    for recipe in RECIPE_SCENARIOS:
        path = SHIPPED / f"{recipe}.json"
        path.write_text(json.dumps(build(recipe, available(recipe)), indent=1) + "\n")
        print(f"wrote {path}")
        written.append(path)
    return written


# ------------------------------------------------------------------------------------- leave one corpus out
def _starts(space: Any, configurations: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """``configurations`` as starts of ``space`` (labels), each once, in order: as the recipe's queue has them."""
    from flair_hpo.space import configuration_key
    from flair_hpo.space.starts import start_labels

    found: dict[str, dict[str, Any]] = {}
    for configuration in configurations:
        labels = start_labels(space.dimensions, configuration)
        found.setdefault(configuration_key(labels), labels)
    return tuple(found.values())


def recipe_of(name: str) -> str | None:
    """The recipe whose space scenario ``name``'s grid discretises, if it has a portfolio."""
    return next((recipe for recipe, names in RECIPE_SCENARIOS.items() if name in names), None)


def held_out_variant(name: str, max_epochs: int) -> Any:
    """The recipe's search on scenario ``name`` as shipped, with the portfolio built *without* ``name``'s table
    (then the published configuration, then the default); None when ``name`` has no recipe or no other table."""
    from quality_variants import variants

    recipe = recipe_of(name)
    others = available(recipe, without=name) if recipe else []
    if not others:
        return None
    space = SCENARIOS[name].build_space()
    starts = _starts(space, [*build(recipe, others)["configurations"], SCENARIOS[name].published])
    return dataclasses.replace(variants(max_epochs)["default"], name="default+portfolio", starts=starts)


def measure_corpus(name: str, recipe: str, searches: int, order: str) -> dict[str, Any]:
    """Replay the variants on ``name``'s table with the portfolio built from the other tables of ``recipe``."""
    from quality_orders import in_order
    from quality_replay import Table, replay, summarize
    from quality_stats import uncertainty
    from quality_tables import TABLES
    from quality_variants import variants

    table = Table.load(TABLES / f"{name}.json")
    space = in_order(SCENARIOS[name].build_space(), order)
    others = available(recipe, without=name)
    portfolio = build(recipe, others)
    published = SCENARIOS[name].published
    found = variants(table.max_epochs, _starts(space, [published])[0])
    found["default+portfolio"] = dataclasses.replace(
        found["default"], name="default+portfolio", starts=_starts(space, [*portfolio["configurations"], published])
    )
    cells: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        cells[variant] = {}
        for budget in BUDGETS:
            outcomes = [replay(table, space, found[variant], budget, seed) for seed in range(searches)]
            cells[variant][str(budget)] = {
                **summarize(table, outcomes),
                "regrets": [round(o.regret, 4) for o in outcomes],
            }
        print(f"{name} {order} {variant:18s} 10%: mean regret {cells[variant]['0.1']['mean_regret']:.2f}", flush=True)
    differences = uncertainty(table, cells, BUDGETS, CLAIMS)
    return {
        "order": order,
        "portfolio_from": others,
        "portfolio": portfolio["configurations"],
        "portfolio_regret_points_here": [
            round(table.regret(_key(table, space, c)), 2) for c in portfolio["configurations"]
        ],
        "variants": cells,
        "differences": differences,
    }


def _key(table: Any, space: Any, configuration: dict[str, Any]) -> str:
    from flair_hpo.space import configuration_key

    return configuration_key(_starts(space, [configuration])[0])


def measure(searches: int, recipe: str = "classifier-frozen", only: list[str] | None = None) -> dict[str, Any]:
    """Every corpus of ``recipe`` (or those ``only``) held out in turn, in both orders."""
    held_out = {}
    for name in only or available(recipe):
        held_out[name] = {order: measure_corpus(name, recipe, searches, order) for order in ORDERS}
    return {"recipe": recipe, "searches": searches, "budgets": list(BUDGETS), "held_out": held_out}


def _part(name: str) -> Path:
    return RESULTS.with_name(f"quality-portfolio.{name}.part.json")


def collected() -> dict[str, Any]:
    """quality-portfolio.json with the corpora measured apart (``measure --held-out``) merged in, in order."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else None
    for name in RECIPE_SCENARIOS["classifier-frozen"]:
        if _part(name).exists():
            part = json.loads(_part(name).read_text())
            if results is None:
                results = {**part, "held_out": {}}
            assert part["searches"] == results["searches"], f"{name} was measured with another number of searches"
            results["held_out"][name] = part["held_out"][name]
    assert results is not None, "nothing measured yet: run measure"
    order = RECIPE_SCENARIOS["classifier-frozen"]
    results["held_out"] = {n: results["held_out"][n] for n in order if n in results["held_out"]}
    return results


def block(results: dict[str, Any]) -> str:
    """docs/search-quality.md's table of the leave-one-corpus-out replays."""
    lines = [
        BEGIN,
        "",
        "| held out | order | budget | portfolio | default+start | random+halving | portfolio - default+start "
        "| portfolio - random+halving |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, orders in results["held_out"].items():
        for order, cell in orders.items():
            for budget in map(str, results["budgets"]):

                def figure(variant: str, cell: dict = cell, budget: str = budget) -> str:
                    found = cell["variants"][variant][budget]
                    low, high = found["ci"]["mean_regret"]
                    return f"{found['mean_regret']:.2f} [{low:.2f}, {high:.2f}]"

                def diff(other: str, cell: dict = cell, budget: str = budget) -> str:
                    entry = next(
                        d
                        for d in cell["differences"]
                        if d["variant"] == "default+portfolio" and d["other"] == other and d["budget"] == float(budget)
                    )
                    point, low, high = entry["mean_regret"]
                    return f"{point:+.2f} [{low:+.2f}, {high:+.2f}]"

                title = SCENARIOS[name].title.split(":")[0]
                lines.append(
                    f"| {title} | {order} | {float(budget):.0%} | {figure('default+portfolio')} "
                    f"| {figure('default+start')} | {figure('random+halving')} | {diff('default+start')} "
                    f"| {diff('random+halving')} |"
                )
    return "\n".join([*lines, "", END])


def update_page(results: dict[str, Any]) -> None:
    from quality_report import QUALITY_PAGE

    page = QUALITY_PAGE.read_text()
    begin, end = page.index(BEGIN), page.index(END) + len(END)
    QUALITY_PAGE.write_text(page[:begin] + block(results) + page[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="write each recipe's portfolio, from all its tables, into the package")
    run = commands.add_parser("measure", help="replay the portfolio leaving one corpus out")
    run.add_argument("--searches", type=int, default=100, help="searches per variant, order and budget")
    run.add_argument("--held-out", help="one corpus only, written apart (merged by report): runs can be split")
    commands.add_parser(
        "report", help="merge the corpora measured apart into quality-portfolio.json; docs/search-quality.md's table"
    )
    args = parser.parse_args(argv)
    if args.command == "write":
        write()
    elif args.command == "measure" and args.held_out:
        _part(args.held_out).write_text(json.dumps(measure(args.searches, only=[args.held_out]), indent=1) + "\n")
    elif args.command == "measure":
        results = measure(args.searches)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        update_page(results)
    else:
        results = collected()
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        for name in results["held_out"]:
            _part(name).unlink(missing_ok=True)
        update_page(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
