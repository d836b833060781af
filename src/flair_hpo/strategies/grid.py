"""Grid search: every configuration of an all-options space, each exactly once."""

from __future__ import annotations

import random

import optuna

from flair_hpo.errors import StrategyError
from flair_hpo.space import Label, SearchSpace
from flair_hpo.strategies.base import SearchStrategy
from flair_hpo.strategies.history import History


class GridSearch(SearchStrategy):
    """Trains every combination of options, in order; each document-embedding branch is its own product.

    The grid is put into the study's queue when the study is created, and Optuna hands each queued
    configuration to exactly one worker. A budget smaller than the grid trains its first points.

    Example::

        search_strategy = search_strategies.GridSearch()
        search_strategy.make_configurations(search_space)
    """

    def _check(self, search_space: SearchSpace) -> None:
        super()._check(search_space)
        ranges = search_space.ranges()
        if ranges:
            raise StrategyError(
                f"GridSearch needs a list of options for every parameter, but {', '.join(ranges)} "
                "is a range; give options=[...] or use RandomSearch / EvolutionarySearch"
            )

    def start(self, study: optuna.Study) -> None:
        for labels in self.space.grid():
            study.enqueue_trial(labels)

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        return None  # every grid point is queued at the start
