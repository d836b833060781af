"""The tutorial's ``search_strategies``: ``from flair_hpo import search_strategies``.

Example::

    search_strategy = search_strategies.EvolutionarySearch()
    search_strategy.make_configurations(search_space)

The strategies are defined in :mod:`flair_hpo.strategies`; any Optuna sampler works too.
"""

from flair_hpo.strategies import EvolutionarySearch, GridSearch, RandomSearch, SearchStrategy

__all__ = ["EvolutionarySearch", "GridSearch", "RandomSearch", "SearchStrategy"]
