"""Real searches against their replays: does the table predict what flair-hpo really does?

Each real search is the ``default`` variant with strategy seed ``s`` and a time budget of ``budget`` x the
grid's time (one CPU thread, as the table was made). Its replay uses the same strategy seed and gives every
configuration its seeds in the table's order (a real search trains a configuration's first seed first), so
the two should train the same configurations with the same dev scores, and as many of them.

The table's seconds were measured once, on the machine of that day; the machine a comparison runs on may be
faster or slower (a shared 2-core virtual machine here: the same code trains the same rows 1.4 times slower on
some days than on others). So a comparison first measures this machine's speed: it trains a few of the
table's rows again (``calibration``) and takes the median ratio of their seconds to the table's. The real
searches' budget is the grid's time in this machine's seconds (``budget`` x grid time x ratio), and the
replay charges per trial what the real searches spent between trials, in table seconds (their median gap
divided by the ratio). Without the ratio a replay fits more trials than the real search whenever the
machine is slower than it was on the day of the table: that was the "about one trial optimistic" replay.

The table's seconds leave out computing the frozen embeddings (a study computes them once), so the real
searches run on an embedding cache filled beforehand, in a temporary folder of their own. Time a search
spends outside its budget (loading the models once before the first trial, the test score after the last)
is reported too; it is not part of the budget, in the replay or in a real search.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from quality_replay import OVERHEAD_S, Table, replay
from quality_scenarios import REPO, SCENARIOS
from quality_tables import TABLES, train_row, training_context
from quality_variants import variants

from flair_hpo.records.keys import REPLICATE
from flair_hpo.space import configuration_key

RESULTS = REPO / "benchmarks" / "results"
#: Rows of the table trained again to measure this machine's speed against the table's.
CALIBRATION_ROWS = 4
#: The replay's charge per trial before it was calibrated: the median gap between trials of real searches
#: then, with the table's seconds taken for the day's.
FORMER_OVERHEAD_S = 0.36


def speed_ratio(context: dict, table: Table, rows: int = CALIBRATION_ROWS) -> tuple[float, list[float]]:
    """This machine's seconds per table second: the median over ``rows`` configurations (drawn with a fixed
    seed, replicate 0, the whole training split) of the seconds they take now over the table's."""
    chosen = random.Random(0).sample(context["grid"], rows)
    ratios = []
    for labels in chosen:
        now = train_row(context, labels, 1.0, 0)["seconds"][-1]
        ratios.append(now / table.row(configuration_key(labels), 0).seconds[-1])
    return statistics.median(ratios), ratios


def _real_search(name: str, seed: int, seconds: float, base_path: Path) -> dict:
    import torch

    import flair_hpo.parameters as parameter
    from flair_hpo.orchestration import Orchestrator
    from flair_hpo.results.study_view import open_for_reading

    torch.set_num_threads(1)
    scenario = SCENARIOS[name]
    space = scenario.build_space()
    space.add_budget(parameter.Budget.TIME_IN_H, seconds / 3600)
    variant = variants(scenario.max_epochs)["default"]
    strategy = variant.strategy(seed)
    strategy.make_configurations(space)
    corpus = scenario.load_corpus()
    began = time.time()
    result = Orchestrator(corpus, base_path, space, strategy, pruner="auto", reseeding=variant.reseeding).optimize()
    wall = time.time() - began
    view = open_for_reading(base_path)
    spans = sorted(
        (t.datetime_start.timestamp(), t.datetime_start.timestamp() + t.user_attrs.get("duration_s", 0.0))
        for t in view.study.trials
    )
    # What a search spends per trial outside training: from one trial's end to the next one's start (the
    # study, the leaderboard, the best model's file, freeing the trial's memory).
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]
    trials = [
        {
            "key": configuration_key(r.labels),
            "replicate": r.user_attrs.get(REPLICATE, 0),
            "value": r.value,
            "epochs": r.epochs,
            "seconds": r.duration_s,
        }
        for r in view.history.records
        if r.status.finished
    ]
    searched = spans[-1][1] - spans[0][0] if spans else 0.0
    return {
        "winner": configuration_key(result.best_configuration),
        "trials": trials,
        "gaps": gaps,
        "outside_s": wall - searched,
    }


def _table_seconds(table: Table, trial: dict) -> float:
    """The table's seconds for what ``trial`` trained: its configuration and seed, as far as it went."""
    row = table.row(trial["key"], trial["replicate"])
    return row.seconds[min(trial["epochs"], len(row.seconds)) - 1] if row.seconds else 0.0


def _first_agreeing(real: list[dict], predicted: list[dict]) -> int:
    """How many of the first trials the real search and its replay share (configuration, seed, score)."""
    agree = 0
    for mine, theirs in zip(real, predicted, strict=False):
        same = all(mine[k] == theirs[k] for k in ("key", "replicate"))
        if not same or abs((mine["value"] or 0.0) - (theirs["value"] or 0.0)) > 1e-6:
            break
        agree += 1
    return agree


def run(name: str, searches: int, budget: float) -> dict:
    os.environ["FLAIR_HPO_CACHE"] = tempfile.mkdtemp(prefix="flair-hpo-real-cache-")
    import torch

    from flair_hpo.training.environment import cache_directory

    torch.set_num_threads(1)
    table = Table.load(TABLES / f"{name}.json")
    context = training_context(SCENARIOS[name], cache_directory())  # fills the searches' embedding cache
    ratio, ratios = speed_ratio(context, table)
    print(f"{name}: this machine takes {ratio:.2f} s per table second ({', '.join(f'{r:.2f}' for r in ratios)})")
    space = SCENARIOS[name].build_space()
    variant = variants(table.max_epochs)["default"]
    comparisons = []
    for seed in range(searches):
        with tempfile.TemporaryDirectory(prefix="flair-hpo-real-") as folder:
            real = _real_search(name, seed, budget * table.grid_seconds * ratio, Path(folder) / "search")
        gap = statistics.median(real["gaps"]) if real["gaps"] else 0.0
        # Per trial, what the real search spent beyond the table's training (in this machine's seconds): the
        # study's reports and pruning decisions, the events of each batch, then the gap to the next trial.
        beyond = [t["seconds"] - ratio * _table_seconds(table, t) for t in real["trials"] if t["epochs"]]
        overhead = statistics.median(beyond) + gap
        replayed, predicted = replay(
            table, space, variant, budget, seed, overhead / ratio, trace=True, seed_order="table"
        )
        _, uncalibrated = replay(
            table, space, variant, budget * ratio, seed, FORMER_OVERHEAD_S, trace=True, seed_order="table"
        )
        comparisons.append(
            {
                "seed": seed,
                "real_trials": len(real["trials"]),
                "replayed_trials": len(predicted),
                # the replay as before: the table's seconds taken for this machine's, the constant overhead
                "replayed_trials_at_table_speed": len(uncalibrated),
                "first_trials_identical": _first_agreeing(real["trials"], predicted),
                # the configuration's regret on both sides (the real search's model is not judged on held-out seeds)
                "real_regret": table.regret(real["winner"]),
                "replayed_regret": replayed.configuration_regret,
                "same_winner": real["winner"] == replayed.key,
                "gap_s_per_trial": gap,
                "overhead_s_per_trial": overhead,
                "outside_budget_s": real["outside_s"],
            }
        )
        print(json.dumps(comparisons[-1]), flush=True)
    summary = {
        "scenario": name,
        "budget": budget,
        "speed_ratio": ratio,
        "calibration_ratios": ratios,
        "replay_overhead_s": OVERHEAD_S,
        "measured_gap_s": statistics.median(c["gap_s_per_trial"] for c in comparisons),
        "measured_overhead_s": statistics.median(c["overhead_s_per_trial"] for c in comparisons),
        # the replay's per-trial charge as the table's seconds count it
        "measured_overhead_table_s": statistics.median(c["overhead_s_per_trial"] for c in comparisons) / ratio,
        "searches": comparisons,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"quality-real-{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
