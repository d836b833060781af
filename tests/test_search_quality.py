"""The search-quality benchmark's replays (benchmarks/quality_replay.py), on the TREC_6 table in the repository.

No training: each strategy asks, the table answers (72 configurations x 10 seeds, trained once by
``benchmarks/search_quality.py tabulate trec``). A replay takes milliseconds, so these tests replay many
searches; the figures they check are docs/search-quality.md's.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from quality_replay import Table, replay  # noqa: E402
from quality_scenarios import SCENARIOS  # noqa: E402
from quality_variants import variants  # noqa: E402

#: The strategies a user can pick, each as the benchmark runs it.
STRATEGIES = ("default", "grid", "random", "evolutionary", "bayesian", "optuna-tpe", "bayesian+data-halving")


@pytest.fixture(scope="module")
def trec():
    table = Table.load(REPO / "benchmarks" / "tables" / "trec.json")
    return table, SCENARIOS["trec"].build_space(), variants(table.max_epochs)


def test_the_table_is_the_grid_it_claims(trec):
    table, space, _ = trec
    assert len(table.keys) == space.size == 72
    assert table.replicates == 10
    assert all(len(row.dev) == table.max_epochs for row in table.rows.values() if not row.error)


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_replayed_search_is_reproducible(trec, name):
    table, space, found = trec
    first, first_steps = replay(table, space, found[name], 0.1, seed=7, trace=True)
    second, second_steps = replay(table, space, found[name], 0.1, seed=7, trace=True)
    assert first_steps == second_steps
    assert first == second
    assert first.trials == len(first_steps) > 1
    assert first.seconds <= 0.1 * table.grid_seconds + max(r.seconds[-1] for r in table.rows.values() if r.seconds)
    _, other_steps = replay(table, space, found[name], 0.1, seed=8, trace=True)
    if name != "grid":  # the grid's order does not depend on the seed; its seed noise does
        assert [s["key"] for s in other_steps] != [s["key"] for s in first_steps]


def _regrets(table, space, variant, budget: float, searches: int) -> list[float]:
    return [replay(table, space, variant, budget, seed).regret for seed in range(searches)]


@pytest.mark.parametrize("budget", [0.05, 0.1, 0.25])
def test_the_default_strategy_beats_random_search(trec, budget):
    table, space, found = trec
    default = _regrets(table, space, found["default"], budget, 100)
    random = _regrets(table, space, found["random"], budget, 100)
    assert statistics.median(default) < statistics.median(random)
    assert sum(r <= 0.5 for r in default) > sum(r <= 0.5 for r in random)


def test_a_search_that_spends_nothing_returns_nothing(trec):
    table, space, found = trec
    outcome = replay(table, space, found["random"], 0.0, seed=1)
    assert outcome.key is None and outcome.regret == 100.0
