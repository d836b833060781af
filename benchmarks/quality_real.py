"""Real searches against their replays: does the table predict what flair-hpo really does?

Each real search is the ``default`` variant with strategy seed ``s`` and a time budget of ``budget`` x the
grid's time (one CPU thread, as the table was made). Its replay uses the same strategy seed and gives every
configuration its seeds in the table's order (a real search trains a configuration's first seed first), so
the two should train the same configurations with the same dev scores until their clocks part (a real
trial's seconds are not the table's to the millisecond, and near the deadline one more or one fewer trial
fits). Reported: how many of the first trials agree, and the regret of the configuration each returns. The
real searches also measure what a search spends outside training per trial, the replay's overhead.

The table's seconds leave out computing the frozen embeddings (a study computes them once), so the real
searches run on an embedding cache filled beforehand, in a temporary folder of their own.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import quality_replay
from quality_replay import Table, replay
from quality_scenarios import REPO, SCENARIOS
from quality_tables import TABLES
from quality_variants import variants

from flair_hpo.optuna_internals import storage_of, study_id
from flair_hpo.records import keys
from flair_hpo.records.keys import FRACTION, REPLICATE
from flair_hpo.space import configuration_key

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
    corpus = scenario.load_corpus()
    began = time.time()
    result = Orchestrator(corpus, base_path, space, strategy, pruner="auto", reseeding=variant.reseeding).optimize()
    wall = time.time() - began
    view = open_for_reading(base_path)
    records = view.history.records
    # Seconds between one trial's training and the next's start (study, leaderboard, best model): what a
    # search spends per trial outside training; the rest of the wall time is paid once per search.
    started = sorted((t.datetime_start, t.user_attrs.get("duration_s", 0.0)) for t in view.study.trials)
    gaps = [(b[0] - a[0]).total_seconds() - a[1] for a, b in itertools.pairwise(started)]
    trials = [
        {
            "key": configuration_key(r.labels),
            "replicate": r.user_attrs.get(REPLICATE, 0),
            "fraction": r.user_attrs.get(FRACTION, 1.0),
            "value": r.value,
            "seconds": r.user_attrs.get("duration_s"),
        }
        for r in records
        if r.status.finished
    ]
    # The time budget's clock starts with the worker's session; before the first trial it opens the study.
    noted = storage_of(view.study).get_study_system_attrs(study_id(view.study))
    sessions = [value[0] for key, value in noted.items() if key.startswith(keys.SESSION_PREFIX)]
    first = started[0][0].timestamp() - min(sessions) if started else 0.0
    return {
        "winner": configuration_key(result.best_configuration),
        "trials": trials,
        "wall": wall,
        "gaps": gaps,
        "before_first_trial": first,
    }


def _fill_cache(name: str) -> None:
    """Compute the scenario's frozen embeddings into the machine's cache, as the table's runs had them."""
    from quality_tables import build_store_entries

    from flair_hpo.training.corpus import check_corpus, label_dictionary
    from flair_hpo.training.embedding_store import store_for

    scenario = SCENARIOS[name]
    corpus, space = scenario.load_corpus(), scenario.build_space()
    label_type = check_corpus(corpus, space)
    dictionary = label_dictionary(corpus, label_type)
    build_store_entries(store_for(True), list(space.grid()), space, label_type, dictionary, corpus)


def run(name: str, searches: int, budget: float) -> dict:
    os.environ["FLAIR_HPO_CACHE"] = tempfile.mkdtemp(prefix="flair-hpo-real-cache-")
    _fill_cache(name)
    table = Table.load(TABLES / f"{name}.json")
    space = SCENARIOS[name].build_space()
    variant = variants(table.max_epochs)["default"]
    comparisons = []
    for seed in range(searches):
        with tempfile.TemporaryDirectory(prefix="flair-hpo-real-") as folder:
            real = _real_search(name, seed, budget, table.grid_seconds, Path(folder) / "search")
        trained = sum(t["seconds"] or 0.0 for t in real["trials"])
        between = statistics.median(real["gaps"])
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
                # the configuration's regret on both sides (the real search's model is not judged on held-out seeds)
                "real_regret": table.regret(real["winner"]),
                "replayed_regret": replayed.configuration_regret,
                "same_winner": real["winner"] == replayed.key,
                "overhead_s_per_trial": between,
                "overhead_s_per_search": real["wall"] - trained - between * len(real["gaps"]),
                "before_first_trial_s": real["before_first_trial"],
            }
        )
        print(json.dumps(comparisons[-1]), flush=True)
    summary = {
        "scenario": name,
        "budget": budget,
        "replay_overhead_s": quality_replay.OVERHEAD_S,
        "measured_overhead_s": statistics.median(c["overhead_s_per_trial"] for c in comparisons),
        "measured_start_s": statistics.median(c["before_first_trial_s"] for c in comparisons),
        "searches": comparisons,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"quality-real-{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
