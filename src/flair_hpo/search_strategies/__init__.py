"""Search strategies: how the next configuration is chosen.

Each strategy is an Optuna sampler that proposes whole configurations of a search space; bind it to
one with ``make_configurations(search_space)``.
"""

from flair_hpo.search_strategies.base import SearchStrategy, nothing_left
from flair_hpo.search_strategies.evolutionary import EvolutionarySearch
from flair_hpo.search_strategies.grid import GridSearch
from flair_hpo.search_strategies.random_search import RandomSearch

__all__ = ["EvolutionarySearch", "GridSearch", "RandomSearch", "SearchStrategy", "nothing_left"]
