"""Random search: configurations drawn at random, never the same one twice."""

from __future__ import annotations

import random

from flair_hpo.space import Label
from flair_hpo.strategies.base import SearchStrategy
from flair_hpo.strategies.history import History


class RandomSearch(SearchStrategy):
    """Draws each configuration uniformly (log-uniformly for log ranges) among those not tried yet.

    Example::

        search_strategy = search_strategies.RandomSearch(seed=42)
        search_strategy.make_configurations(search_space)
    """

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        return self.random_unseen(history.taken(), rng)
