"""Search strategies: how the next configuration is chosen.

Each strategy is an Optuna sampler that proposes whole configurations of a search space; bind it to
one with ``make_configurations(search_space)``.
"""

from flair_hpo.search_strategies.base import SearchStrategy, nothing_left
from flair_hpo.search_strategies.evolutionary import EvolutionarySearch
from flair_hpo.search_strategies.grid import GridSearch
from flair_hpo.search_strategies.random_search import RandomSearch

STRATEGIES: dict[str, type[SearchStrategy]] = {
    "grid": GridSearch,
    "random": RandomSearch,
    "evolutionary": EvolutionarySearch,
}


def strategy_from_settings(settings: dict) -> SearchStrategy:
    """The strategy :meth:`SearchStrategy.settings` describes (as stored with a study)."""
    settings = dict(settings)
    name = settings.pop("strategy")
    strategy = next(cls for cls in STRATEGIES.values() if cls.__name__ == name)
    return strategy(**settings)


__all__ = [
    "STRATEGIES",
    "EvolutionarySearch",
    "GridSearch",
    "RandomSearch",
    "SearchStrategy",
    "nothing_left",
    "strategy_from_settings",
]
