"""Bayesian search: Optuna's tree-structured Parzen estimator (TPE) proposes whole configurations.

Why not TPE as the study's sampler: fitted on the finished trials each time, it shares flair-hpo's claims (no
configuration trained twice) and history (a configuration's seeds count with their mean).
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from flair_hpo.checks import whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.records import History
from flair_hpo.space import Label, configuration_key
from flair_hpo.strategies.base import SearchStrategy

# TPE may propose a configuration that was tried; it is told that trial's value and asked again.
_PROPOSALS = 20


class BayesianSearch(SearchStrategy):
    """Proposes configurations with Optuna's TPE sampler (multivariate, grouped by conditional branch), fitted
    on the trials finished so far.

    The first ``startup_trials`` configurations are random; a configuration trained with several seeds counts
    once, with its mean; when TPE keeps proposing tried configurations, a random new one is trained instead.

    Example::

        search_strategy = search_strategies.BayesianSearch(seed=1)
        search_strategy.make_configurations(search_space)
    """

    def __init__(self, startup_trials: int = 2, seed: int | None = None) -> None:
        super().__init__(seed)
        self.startup_trials = whole_number(startup_trials, "startup_trials", StrategyError, 1, 100_000)

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "startup_trials": self.startup_trials}

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        taken = history.tried()
        scored = history.configurations()
        own = {configuration_key(c.labels): (c.labels, c.value) for c in scored}
        if len(scored) < self.startup_trials:
            return self.random_unseen(taken, rng)
        observed = list(own.values())
        study = self._fitted(observed, history.minimize, rng)
        known = {configuration_key(labels): value for labels, value in observed}
        for _ in range(_PROPOSALS):
            trial = study.ask()
            labels = self.space.suggest(trial)
            key = configuration_key(labels)
            if key not in taken:
                return labels
            # A repeat: TPE learns it is known (or being trained: its value is the liar's, the worst).
            study.tell(trial, known.get(key, max(known.values()) if history.minimize else min(known.values())))
        return self.random_unseen(taken, rng)

    def _fitted(
        self, observed: list[tuple[dict[str, Label], float]], minimize: bool, rng: random.Random
    ) -> optuna.Study:
        """A throw-away study in memory, holding one finished trial per observed configuration."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                n_startup_trials=0, multivariate=True, group=True, seed=rng.randrange(2**31)
            )
        study = optuna.create_study(direction="minimize" if minimize else "maximize", sampler=sampler)
        study.add_trials(
            [
                optuna.trial.create_trial(params=labels, distributions=self._distributions(labels), value=value)
                for labels, value in observed
            ]
        )
        return study

    def _distributions(self, labels: dict[str, Label]) -> dict[str, BaseDistribution]:
        return {name: self.space.dimension(name).distribution() for name in labels}
