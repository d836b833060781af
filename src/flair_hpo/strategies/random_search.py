"""Random search: configurations drawn at random, never the same one twice."""

from __future__ import annotations

import random

from flair_hpo.records import History
from flair_hpo.space import Label
from flair_hpo.strategies.base import SearchStrategy


class RandomSearch(SearchStrategy):
    """Draws configurations at random, never one that was tried; every configuration is equally likely (ranges
    uniform, or log-uniform).

    Example::

        search_strategy = search_strategies.RandomSearch(seed=42)
        search_strategy.make_configurations(search_space)
    """

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        return self.random_unseen(history.tried(), rng)
