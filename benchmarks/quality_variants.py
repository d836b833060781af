"""The ways to search that the search-quality benchmark compares, each built from flair-hpo's own classes.

``default`` is what flair-hpo recommends and does when a setting is left out: the strategy the docs
recommends (BayesianSearch), with the default pruner (``"auto"``: successive halving from epoch 1) and the
default reseeding of :class:`~flair_hpo.search.settings.RunSettings` (none). The others are the baselines a Flair
user has (random search, a grid, Optuna's TPE in a hand-written loop, whose result is ``study.best_trial``
as such a loop returns it) and the variants the defaults were
chosen from: each adds or removes one ingredient (pruning, its reduction factor, reseeding the finalists).
Screening on fractions of the training split (data halving) was measured too, and removed from flair-hpo:
quality.json keeps its searches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import optuna
from quality_replay import Variant

from flair_hpo.policies import Reseeding
from flair_hpo.search.settings import RunSettings
from flair_hpo.space import Label
from flair_hpo.strategies import BayesianSearch, EvolutionarySearch, GridSearch, RandomSearch
from flair_hpo.training.pruning import make_pruner


def _halving(reduction_factor: int) -> Callable[[], optuna.pruners.BasePruner]:
    return lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=reduction_factor)


def variants(
    max_epochs: int,
    start: dict[str, Label] | None = None,
    earlier: Callable[[int], tuple[dict[str, Label], ...]] | None = None,
) -> dict[str, Variant]:
    """Every variant, by name, for a scenario whose trials train ``max_epochs`` epochs; with ``start`` (labels:
    the scenario's published configuration), also the default that trains it first; with ``earlier`` (a
    search's seed to its warm start, quality_earlier.py), also the default with the warm start. (The default with
    TPE's prior from earlier studies, measured in quality.json, was removed with the prior.)"""
    default_reseeding = RunSettings(base_path="unused").reseeding
    found = [
        Variant(
            "default",
            lambda seed: BayesianSearch(seed=seed),
            lambda: make_pruner("auto", max_epochs),
            default_reseeding,
        ),
        Variant("grid", lambda seed: GridSearch()),
        Variant("random", lambda seed: RandomSearch(seed=seed)),
        Variant("optuna-tpe", lambda seed: optuna.samplers.TPESampler(seed=seed), selection="best-trial"),
        Variant("evolutionary", lambda seed: EvolutionarySearch(seed=seed)),
        Variant("bayesian", lambda seed: BayesianSearch(seed=seed)),
        Variant("random+halving", lambda seed: RandomSearch(seed=seed), _halving(4)),
        Variant("bayesian+halving3", lambda seed: BayesianSearch(seed=seed), _halving(3)),
        Variant("bayesian+halving+reseed2x2", lambda seed: BayesianSearch(seed=seed), _halving(4), Reseeding(2, 2)),
    ]
    if start is not None:
        default = found[0]
        found.append(dataclasses.replace(default, name="default+start", starts=(start,)))
    if earlier is not None:
        found.append(dataclasses.replace(found[0], name="default+earlier", starts_of=earlier))
    return {variant.name: variant for variant in found}
