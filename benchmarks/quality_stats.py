"""How sure the search-quality figures are: a bootstrap over the searches and over the table's seeds.

A cell's figures (mean and median model regret, share of searches within 0.5 point of the grid's best) rest on
two samples: the replayed searches, and the few seeds each configuration of the table was trained with, which
judge the returned models and name the grid's best. Each bootstrap draw resamples both: the searches with
replacement, and each configuration's seeds by the Bayesian bootstrap (Rubin, 1981: Dirichlet(1, ..., 1)
weights, a resampling that never leaves a model without a held-out seed), the same weights for every
variant of a draw, since all are judged by the same table: a difference between two variants is computed
within each draw (paired on the judge). The grid's best configuration is the table's in every draw, its
quality re-estimated like the returned models'. The interval is the draw's 2.5th to 97.5th percentile. The
searches themselves are not replayed again: the noise a search saw stays the table's.

A model whose search trained every seed of its configuration is judged on its own test score against the best
configuration's mean test score (quality_replay.Table.model_regret), here with the best's test reweighted too.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from quality_replay import Table, judged, summarize

DRAWS = 2000
#: The measures of a cell whose intervals are computed.
MEASURES = ("mean_regret", "median_regret", "within_half_point")
#: Differences docs/search-quality.md states, each as (variant, other variant): the first minus the second.
CLAIMS = (
    ("default", "random"),
    ("default", "optuna-tpe"),
    ("default", "grid"),
    ("optuna-tpe", "random"),
    ("evolutionary", "random"),
    ("default", "bayesian"),
    ("random+halving", "random"),
    ("default", "random+halving"),
    ("bayesian+halving3", "default"),
    ("bayesian+halving+reseed2x2", "default"),
    ("bayesian+data-halving", "random+data-halving"),
    ("bayesian+data-halving", "default"),
    ("default+start", "default"),
    ("default+earlier", "default"),
    ("default+prior", "default"),
    ("default+earlier+prior", "default+earlier"),
)


def _kept(table: Table, score: str) -> np.ndarray:
    """The ``score`` ("dev" or "test") of the model kept after ``e + 1`` epochs (its best dev epoch so far),
    by configuration, seed and epoch ``e``."""
    kept = np.zeros((len(table.keys), table.replicates, table.max_epochs))
    for c, key in enumerate(table.keys):
        for s in range(table.replicates):
            row = table.row(key, s)
            after = row.value_after if score == "dev" else row.test_after
            kept[c, s] = [after(e + 1) for e in range(table.max_epochs)]
    return kept


def kept_dev(table: Table) -> np.ndarray:
    """The dev score of the model kept after ``e + 1`` epochs, by configuration, seed and epoch ``e``."""
    return _kept(table, "dev")


class Judge:
    """Model regrets of returned models under ``draws`` resamplings of the table's seeds."""

    def __init__(self, table: Table, draws: int = DRAWS, seed: int = 0) -> None:
        self.kept, self.test = kept_dev(table), _kept(table, "test")
        self.rng = np.random.default_rng(seed)
        configurations, seeds, _ = self.kept.shape
        self.weights = self.rng.dirichlet(np.ones(seeds), size=(draws, configurations))
        # The grid's best configuration stays the table's; its quality is re-estimated in each draw like the
        # returned models' (a maximum over reweighted means would be biased upwards draw after draw).
        best = table.keys.index(table.best_key)
        self.best = (self.weights[:, best, :] * self.kept[best, :, -1]).sum(-1)
        self.best_test = (self.weights[:, best, :] * self.test[best, :, -1]).sum(-1)

    def regrets(self, returned: list[Any]) -> np.ndarray:
        """Each search's model regret in each draw (draws x searches), from a cell's ``returned``."""
        regrets = np.full((len(self.best), len(returned)), 100.0)
        for i, item in enumerate(returned):
            if item is None:
                continue
            c, epochs, seen, *own = item
            held_out = np.ones(self.kept.shape[1])
            held_out[seen] = 0.0
            if not held_out.any():  # every seed trained: the model's own test score (its seed noted last)
                regrets[:, i] = 100.0 * (self.best_test - self.test[c, own[0], epochs - 1])
                continue
            weights = self.weights[:, c, :] * held_out
            quality = (weights * self.kept[c, :, epochs - 1]).sum(-1) / weights.sum(-1)
            regrets[:, i] = 100.0 * (self.best - quality)
        return regrets

    def resampled(self, returned: list[Any]) -> np.ndarray:
        """Each draw's regrets with the searches resampled with replacement too (draws x searches)."""
        regrets = self.regrets(returned)
        picks = self.rng.integers(0, regrets.shape[1], size=regrets.shape)
        return np.take_along_axis(regrets, picks, axis=1)

    def statistics(self, returned: list[Any]) -> dict[str, np.ndarray]:
        """Per draw: the mean and median regret and the share within 0.5 point, the searches resampled too."""
        return measures(self.resampled(returned))


def measures(regrets: np.ndarray) -> dict[str, np.ndarray]:
    """A cell's measures along the last axis of ``regrets`` (one row per draw, or one vector of searches)."""
    return {
        "mean_regret": regrets.mean(axis=-1),
        "median_regret": np.median(regrets, axis=-1),
        "within_half_point": (regrets <= 0.5).mean(axis=-1),
    }


def p_better(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """P(a model of ``first`` has a lower regret than one of ``second``), ties counted half, along the last
    axis (regrets of searches; one row per draw)."""
    lower = (first[..., :, None] < second[..., None, :]).mean(axis=(-2, -1))
    ties = (first[..., :, None] == second[..., None, :]).mean(axis=(-2, -1))
    return lower + 0.5 * ties


def interval(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in np.quantile(values, [0.025, 0.975])]


def with_intervals(judge: Judge, cell: dict[str, Any]) -> np.ndarray:
    """Add a 95% interval (``"ci"``) to ``cell``'s measures; return the draws' resampled regrets."""
    drawn = judge.resampled(cell["returned"])
    cell["ci"] = {measure: interval(values) for measure, values in measures(drawn).items()}
    return drawn


def difference(first: dict, second: dict, first_drawn: np.ndarray, second_drawn: np.ndarray) -> dict:
    """``first`` minus ``second`` in each measure, [point, low, high], and P(first's model is better)."""
    a, b = measures(first_drawn), measures(second_drawn)
    entry: dict[str, Any] = {
        measure: [round(first[measure] - second[measure], 4), *interval(a[measure] - b[measure])] for measure in a
    }
    point = p_better(np.array(first["regrets"]), np.array(second["regrets"]))
    entry["p_better"] = [round(float(point), 4), *interval(p_better(first_drawn, second_drawn))]
    return entry


def uncertainty(
    table: Table,
    variants: dict[str, dict[str, Any]],
    budgets: tuple[float, ...],
    claims: tuple[tuple[str, str], ...] = CLAIMS,
) -> list[dict]:
    """Add a 95% interval (``"ci"``) to every cell of ``variants`` at ``budgets``; return the ``claims``'
    differences with their intervals."""
    judge = Judge(table)
    drawn: dict[tuple[str, str], np.ndarray] = {}
    for name, curve in variants.items():
        for budget in map(str, budgets):
            if budget in curve:
                drawn[name, budget] = with_intervals(judge, curve[budget])
    differences = []
    for first, second in claims:
        for budget in map(str, budgets):
            if (first, budget) not in drawn or (second, budget) not in drawn:
                continue
            a, b = variants[first][budget], variants[second][budget]
            entry = {"variant": first, "other": second, "budget": float(budget)}
            differences.append({**entry, **difference(a, b, drawn[first, budget], drawn[second, budget])})
    return differences


def grid_once(table: Table, draws: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The whole grid trained once, each configuration with a seed drawn at random, returning the best-scoring
    model (trained to the end): ``draws`` such searches as a cell (summarize's figures, the grid's time)."""
    rng = random.Random(f"grid-once:{seed}")
    outcomes = []
    for _ in range(draws):
        trained = [(key, rng.randrange(table.replicates)) for key in table.keys]
        key, own = max(trained, key=lambda pair: table.row(*pair).value)
        outcomes.append(judged(table, (key, own, table.max_epochs), trained, table.grid_seconds, len(trained)))
    return {**summarize(table, outcomes), "regrets": [round(o.regret, 4) for o in outcomes]}
