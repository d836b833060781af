"""The default's ``startup_trials`` chosen out of sample: leave one scenario out.

For each candidate number of random configurations before TPE takes over, the default variant (BayesianSearch
with the default pruning) is replayed on every scenario at the tables' budgets. For each scenario in turn,
the candidate is chosen on the *other* scenarios (the best mean share of searches within 0.5 point, over
their budgets) and reported on the held-out one, next to the shipped default, so that a default is never
judged on the data it was picked from.

    .venv/bin/python benchmarks/search_quality.py loso --seeds 100

writes benchmarks/results/quality-loso.json and docs/search-quality.md's table of it (quality_report.py).
"""

from __future__ import annotations

import dataclasses
import json
import statistics

from quality_replay import Table, replay, summarize
from quality_report import TABLE_BUDGETS
from quality_scenarios import REPO, SCENARIOS
from quality_tables import TABLES
from quality_variants import variants

from flair_hpo.strategies import BayesianSearch

CANDIDATES = (2, 3, 5)
PATH = REPO / "benchmarks" / "results" / "quality-loso.json"


def _score(cells: dict[str, dict]) -> float:
    """A candidate's figure on one scenario: its mean share within 0.5 point over the budgets."""
    return statistics.mean(cells[str(b)]["within_half_point"] for b in TABLE_BUDGETS)


def measure(seeds: int) -> dict:
    """Replay every candidate on every scenario; choose each scenario's candidate on the others."""
    shares: dict[str, dict[str, dict]] = {}
    for name in SCENARIOS:
        table = Table.load(TABLES / f"{name}.json")
        space = SCENARIOS[name].build_space()
        default = variants(table.max_epochs)["default"]
        shares[name] = {}
        for startup in CANDIDATES:
            variant = dataclasses.replace(
                default, strategy=lambda seed, startup=startup: BayesianSearch(startup_trials=startup, seed=seed)
            )
            cells = {}
            for budget in TABLE_BUDGETS:
                outcomes = [replay(table, space, variant, budget, seed) for seed in range(seeds)]
                found = summarize(table, outcomes)
                cells[str(budget)] = {k: found[k] for k in ("median_regret", "within_half_point")}
            shares[name][str(startup)] = cells
            print(f"{name} startup_trials={startup}: mean share within 0.5 {_score(cells):.0%}", flush=True)
    return {"searches": seeds, "candidates": list(CANDIDATES), "cells": shares, "held_out": choose(shares)}


def choose(shares: dict[str, dict[str, dict]]) -> dict[str, dict]:
    """Each scenario's candidate, chosen on the other scenarios, with its score and the shipped default's."""
    held_out = {}
    for name in shares:
        others = [other for other in shares if other != name]
        chosen = max(CANDIDATES, key=lambda c: (statistics.mean(_score(shares[o][str(c)]) for o in others), -c))
        held_out[name] = {
            "chosen": chosen,
            "chosen_score": _score(shares[name][str(chosen)]),
            "default_score": _score(shares[name][str(BayesianSearch().startup_trials)]),
        }
    return held_out


def run(seeds: int) -> dict:
    results = measure(seeds)
    PATH.write_text(json.dumps(results, indent=1) + "\n")
    return results
