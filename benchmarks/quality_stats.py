"""How sure the search-quality figures are: a bootstrap over the searches and over the table's seeds.

A cell's figures (median model regret, share of searches within 0.5 point of the grid's best) rest on two
samples: the replayed searches, and the few seeds each configuration of the table was trained with, which
judge the returned models and name the grid's best. Each bootstrap draw resamples both: the searches with
replacement, and each configuration's seeds by the Bayesian bootstrap (Rubin, 1981: Dirichlet(1, ..., 1)
weights, a resampling that never leaves a model without a held-out seed), the same weights for every
variant of a draw, since all are judged by the same table. The grid's best configuration is the table's
in every draw, its quality re-estimated like the returned models'. The interval is the draw's 2.5th to 97.5th
percentile. The searches themselves are not replayed again: the noise a search saw stays the table's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from quality_replay import Table

DRAWS = 2000
#: Differences docs/search-quality.md states, each as (variant, other variant): the first minus the second.
CLAIMS = (
    ("default", "random"),
    ("default", "optuna-tpe"),
    ("default", "grid"),
    ("optuna-tpe", "random"),
    ("evolutionary", "random"),
    ("default", "bayesian"),
    ("random+halving", "random"),
    ("bayesian+halving3", "default"),
    ("bayesian+halving+reseed2x2", "default"),
    ("bayesian+data-halving", "random+data-halving"),
    ("bayesian+data-halving", "default"),
    ("default+start", "default"),
    ("default+earlier", "default"),
    ("default+prior", "default"),
    ("default+earlier+prior", "default+earlier"),
)


def kept_dev(table: Table) -> np.ndarray:
    """The dev score of the model kept after ``e + 1`` epochs, by configuration, seed and epoch ``e``."""
    kept = np.zeros((len(table.keys), table.replicates, table.max_epochs))
    for c, key in enumerate(table.keys):
        for s in range(table.replicates):
            row = table.row(key, s)
            kept[c, s] = [row.value_after(e + 1) for e in range(table.max_epochs)]
    return kept


class Judge:
    """Model regrets of returned models under ``draws`` resamplings of the table's seeds."""

    def __init__(self, table: Table, draws: int = DRAWS, seed: int = 0) -> None:
        self.kept = kept_dev(table)
        self.rng = np.random.default_rng(seed)
        configurations, seeds, _ = self.kept.shape
        self.weights = self.rng.dirichlet(np.ones(seeds), size=(draws, configurations))
        # The grid's best configuration stays the table's; its quality is re-estimated in each draw like the
        # returned models' (a maximum over reweighted means would be biased upwards draw after draw).
        best = int(self.kept[:, :, -1].mean(axis=1).argmax())
        self.best = (self.weights[:, best, :] * self.kept[best, :, -1]).sum(-1)

    def regrets(self, returned: list[Any]) -> np.ndarray:
        """Each search's model regret in each draw (draws x searches), from a cell's ``returned``."""
        regrets = np.full((len(self.best), len(returned)), 100.0)
        for i, item in enumerate(returned):
            if item is None:
                continue
            c, epochs, seen = item
            held_out = np.ones(self.kept.shape[1])
            held_out[seen] = 0.0
            if not held_out.any():  # the search saw every seed: judged on all of them, as quality_replay does
                held_out[:] = 1.0
            weights = self.weights[:, c, :] * held_out
            quality = (weights * self.kept[c, :, epochs - 1]).sum(-1) / weights.sum(-1)
            regrets[:, i] = 100.0 * (self.best - quality)
        return regrets

    def statistics(self, returned: list[Any]) -> dict[str, np.ndarray]:
        """Per draw: the median regret and the share within 0.5 point, the searches resampled too."""
        regrets = self.regrets(returned)
        picks = self.rng.integers(0, regrets.shape[1], size=regrets.shape)
        resampled = np.take_along_axis(regrets, picks, axis=1)
        return {"median_regret": np.median(resampled, axis=1), "within_half_point": (resampled <= 0.5).mean(axis=1)}


def _interval(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in np.quantile(values, [0.025, 0.975])]


def uncertainty(table: Table, variants: dict[str, dict[str, Any]], budgets: tuple[float, ...]) -> list[dict]:
    """Add a 95% interval (``"ci"``) to every cell of ``variants`` at ``budgets``; return the claimed
    differences (:data:`CLAIMS`) with their intervals."""
    judge = Judge(table)
    drawn: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for name, curve in variants.items():
        for budget in map(str, budgets):
            drawn[name, budget] = judge.statistics(curve[budget]["returned"])
            curve[budget]["ci"] = {measure: _interval(values) for measure, values in drawn[name, budget].items()}
    differences = []
    for first, second in CLAIMS:
        if first not in variants or second not in variants:
            continue
        for budget in map(str, budgets):
            a, b = variants[first][budget], variants[second][budget]
            entry: dict[str, Any] = {"variant": first, "other": second, "budget": float(budget)}
            for measure in ("within_half_point", "median_regret"):
                spread = drawn[first, budget][measure] - drawn[second, budget][measure]
                entry[measure] = [round(a[measure] - b[measure], 4), *_interval(spread)]
            differences.append(entry)
    return differences


def grid_once(table: Table, draws: int = 4000, seed: int = 0) -> float:
    """The share of draws in which the whole grid, each configuration trained once with a random one of its
    seeds, returns a model within 0.5 point of the best (judged like a search's, on the other seeds)."""
    kept = kept_dev(table)[:, :, -1]
    configurations, seeds = kept.shape
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, seeds, size=(draws, configurations))
    seen = np.take_along_axis(kept[None].repeat(draws, 0), chosen[:, :, None], axis=2)[:, :, 0]
    winners = seen.argmax(axis=1)
    totals = kept.sum(axis=1)
    held_out = (totals[winners] - kept[winners, chosen[np.arange(draws), winners]]) / (seeds - 1)
    return float(np.mean(100.0 * (table.best_dev - held_out) <= 0.5))
