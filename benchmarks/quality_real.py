"""Real searches against their replays: does the table predict what flair-hpo really does?

Each real search is the ``default`` variant with strategy seed ``s`` and a time budget of ``budget`` x the
grid's time (one CPU thread, as the table was made). Its replay uses the same strategy seed and gives every
configuration its seeds in the table's order (a real search trains a configuration's first seed first), so
the two should train the same configurations with the same dev scores until their clocks part (a real
trial's seconds are not the table's to the millisecond, and near the deadline one more or one fewer trial
fits). Reported: how many of the first trials agree, and the regret of the configuration each returns. The
real searches also measure what a search spends outside training per trial, the replay's overhead.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import quality_replay
from quality_replay import Table, replay
from quality_scenarios import REPO, SCENARIOS
from quality_tables import TABLES
from quality_variants import variants

from flair_hpo.space import configuration_key
from flair_hpo.strategies.history import FRACTION, REPLICATE

RESULTS = REPO / "benchmarks" / "results"


def _real_search(name: str, seed: int, budget: float, grid_seconds: float, base_path: Path) -> dict:
    import torch

    import flair_hpo.parameters as parameter
    from flair_hpo.orchestration import Orchestrator
    from flair_hpo.results.study_view import open_for_reading

    torch.set_num_threads(1)
    scenario = SCENARIOS[name]
    space = scenario.build_space()
    space.add_budget(parameter.Budget.TIME_IN_H, budget * grid_seconds / 3600)
    variant = variants(scenario.max_epochs)["default"]
    strategy = variant.strategy(seed)
    strategy.make_configurations(space)
    started = time.time()
    result = Orchestrator(
        scenario.load_corpus(), base_path, space, strategy, pruner="auto", reseeding=variant.reseeding
    ).optimize()
    wall = time.time() - started
    records = open_for_reading(base_path).history.records
    trials = [
        {
            "key": configuration_key(r.labels),
            "replicate": r.user_attrs.get(REPLICATE, 0),
            "fraction": r.user_attrs.get(FRACTION, 1.0),
            "value": r.value,
            "seconds": r.user_attrs.get("duration_s"),
        }
        for r in records
        if r.status in ("complete", "pruned", "failed")
    ]
    return {"winner": configuration_key(result.best_configuration), "trials": trials, "wall": wall}


def run(name: str, searches: int, budget: float) -> dict:
    table = Table.load(TABLES / f"{name}.json")
    space = SCENARIOS[name].build_space()
    variant = variants(table.max_epochs)["default"]
    comparisons = []
    for seed in range(searches):
        with tempfile.TemporaryDirectory(prefix="flair-hpo-real-") as folder:
            real = _real_search(name, seed, budget, table.grid_seconds, Path(folder) / "search")
        trained = sum(t["seconds"] or 0.0 for t in real["trials"])
        overhead = (real["wall"] - trained) / max(1, len(real["trials"]))
        replayed, predicted = replay(table, space, variant, budget, seed, trace=True, seed_order="table")
        agree = 0
        for mine, theirs in zip(real["trials"], predicted, strict=False):
            same = (mine["key"], mine["replicate"], mine["fraction"]) == (
                theirs["key"],
                theirs["replicate"],
                theirs["fraction"],
            )
            if not same or abs((mine["value"] or 0.0) - (theirs["value"] or 0.0)) > 1e-6:
                break
            agree += 1
        comparisons.append(
            {
                "seed": seed,
                "real_trials": len(real["trials"]),
                "replayed_trials": len(predicted),
                "first_trials_identical": agree,
                "real_regret": table.regret(real["winner"]),
                "replayed_regret": replayed.regret,
                "same_winner": real["winner"] == replayed.key,
                "overhead_s_per_trial": overhead,
            }
        )
        print(json.dumps(comparisons[-1]), flush=True)
    summary = {
        "scenario": name,
        "budget": budget,
        "replay_overhead_s": quality_replay.OVERHEAD_S,
        "measured_overhead_s": statistics.median(c["overhead_s_per_trial"] for c in comparisons),
        "searches": comparisons,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"quality-real-{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
