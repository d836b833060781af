"""The tutorial's ``search_strategies``: ``from flair_hpo import search_strategies``; any Optuna sampler works too.

Example::

    search_strategy = search_strategies.EvolutionarySearch()
    search_strategy.make_configurations(search_space)
"""

from flair_hpo.strategies import BayesianSearch, EvolutionarySearch, GridSearch, RandomSearch, Reseeding, SearchStrategy

__all__ = ["BayesianSearch", "EvolutionarySearch", "GridSearch", "RandomSearch", "Reseeding", "SearchStrategy"]
