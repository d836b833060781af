"""Grid search: every configuration of an all-options space, each exactly once."""

from __future__ import annotations

import random

from flair_hpo.errors import StrategyError
from flair_hpo.records import History
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.strategies.base import SearchStrategy


class GridSearch(SearchStrategy):
    """Trains every combination of options, in order, each point once; each document-embedding branch is its
    own product. A budget smaller than the grid trains its first points.

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

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        taken = history.tried()
        return next((labels for labels in self.space.grid() if configuration_key(labels) not in taken), None)
