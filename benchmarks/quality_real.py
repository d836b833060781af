"""Real searches against their replays: does the table predict what flair-hpo really does?

Each real search is the ``default`` variant with strategy seed ``s`` and a time budget of ``budget`` x the
grid's time (one CPU thread, as the table was made). Its replay uses the same strategy seed and gives every
configuration its seeds in the table's order (a real search trains a configuration's first seed first), so
the two should train the same configurations with the same dev scores, and as many of them.

The table's seconds were measured once, on the machine of that day; the machine a comparison runs on may be
faster or slower. So a comparison first measures this machine's speed: it trains a few of the table's rows
again (``calibration``) and takes the median ratio of their seconds to the table's; the real searches' budget
is the grid's time in this machine's seconds. The replay's charge per trial (what a real search spends between
trainings) is measured on a few *calibration* searches only, and the other searches (other strategy seeds, and
a second budget) are predicted with it: the *validation* searches, compared with their replays on the number of
trials, the configuration returned and the returned model's regret (judged on held-out seeds as a replay's).

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
    model = next((r for r in view.history.records if r.number == result.best_trial), None)
    return {
        "winner": configuration_key(result.best_configuration),
        # the model it returns: the best trial's configuration, seed (its replicate: the table's seed) and epochs
        "model": None if model is None else [configuration_key(model.labels), model.replicate, model.epochs],
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


def _measured_overhead(table: Table, real: dict, ratio: float) -> float:
    """What a real search spent per trial beyond the table's training, in this machine's seconds: the study's
    reports and pruning decisions and each batch's events (a trial's seconds beyond its rows'), then the gap to
    the next trial."""
    gap = statistics.median(real["gaps"]) if real["gaps"] else 0.0
    beyond = [t["seconds"] - ratio * _table_seconds(table, t) for t in real["trials"] if t["epochs"]]
    return statistics.median(beyond) + gap


def _model_regret(table: Table, real: dict) -> float:
    """The real search's model judged like a replayed one: on the seeds it did not train that configuration with."""
    if real["model"] is None:
        return table.regret(None)
    key, own, epochs = real["model"]
    seen = tuple(sorted({t["replicate"] for t in real["trials"] if t["key"] == key}))
    return table.model_regret(key, epochs, seen, own)


def run(name: str, searches: int, budgets: tuple[float, ...], calibrate: int) -> dict:
    """Real searches with strategy seeds 0..``searches``-1 at each of ``budgets``; the replay's per-trial charge
    is measured on the first ``calibrate`` searches of the first budget only, and the replays of all the others
    (the validation searches) use it: none is predicted with the overhead measured in itself."""
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
    reals = []
    for budget in budgets:
        for seed in range(searches):
            with tempfile.TemporaryDirectory(prefix="flair-hpo-real-") as folder:
                real = _real_search(name, seed, budget * table.grid_seconds * ratio, Path(folder) / "search")
            reals.append({"budget": budget, "seed": seed, **real})
            print(f"{name} {budget:.0%} seed {seed}: {len(real['trials'])} trials", flush=True)
    calibration = [r for r in reals if r["budget"] == budgets[0] and r["seed"] < calibrate]
    overhead = statistics.median(_measured_overhead(table, r, ratio) for r in calibration) / ratio
    comparisons = []
    for real in reals:
        if real in calibration:
            continue
        replayed, predicted = replay(
            table, space, variant, real["budget"], real["seed"], overhead, trace=True, seed_order="table"
        )
        comparisons.append(
            {
                "budget": real["budget"],
                "seed": real["seed"],
                "real_trials": len(real["trials"]),
                "replayed_trials": len(predicted),
                "first_trials_identical": _first_agreeing(real["trials"], predicted),
                "real_model_regret": _model_regret(table, real),
                "replayed_model_regret": replayed.regret,
                "same_winner": real["winner"] == replayed.key,
                "outside_budget_s": real["outside_s"],
            }
        )
        print(json.dumps(comparisons[-1]), flush=True)
    summary = {
        "scenario": name,
        "budgets": list(budgets),
        "speed_ratio": ratio,
        "calibration_ratios": ratios,
        "replay_overhead_s": OVERHEAD_S,
        "calibration_searches": [{"budget": r["budget"], "seed": r["seed"]} for r in calibration],
        # the replay's per-trial charge as the table's seconds count it, from the calibration searches only
        "calibrated_overhead_table_s": overhead,
        "validation": comparisons,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"quality-calibration-{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
