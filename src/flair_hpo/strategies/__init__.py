"""Search strategies: how the next new configuration is chosen.

flair-hpo's strategies propose whole configurations from the study's history; any other Optuna sampler can be
given too and samples parameter by parameter (:class:`ForeignSampler`). Either way the policies work around it.
"""

from __future__ import annotations

from typing import Any

from optuna.samplers import BaseSampler

from flair_hpo.errors import StrategyError
from flair_hpo.policies import Reseeding
from flair_hpo.strategies.base import SearchStrategy, Strategy
from flair_hpo.strategies.bayesian import BayesianSearch
from flair_hpo.strategies.evolutionary import EvolutionarySearch
from flair_hpo.strategies.foreign import OPTUNA, ForeignSampler, as_strategy
from flair_hpo.strategies.grid import GridSearch
from flair_hpo.strategies.random_search import RandomSearch

#: The strategies a YAML file or the command line names.
STRATEGIES: dict[str, type[SearchStrategy]] = {
    "grid": GridSearch,
    "random": RandomSearch,
    "evolutionary": EvolutionarySearch,
    "bayesian": BayesianSearch,
}


def strategy_settings(strategy: BaseSampler) -> dict[str, Any]:
    """What identifies ``strategy`` in a study: a resumed study must use the same."""
    return as_strategy(strategy).settings()


def strategy_from_settings(settings: dict[str, Any], sampler: BaseSampler | None = None) -> Strategy:
    """The strategy :func:`strategy_settings` describes; for an Optuna sampler, ``sampler`` must be given."""
    settings = dict(settings)
    name = settings.pop("strategy")
    if name == OPTUNA:
        cls = settings["sampler"]
        if sampler is None or strategy_settings(sampler)["sampler"] != cls:
            raise StrategyError(
                f"the study is searched with the Optuna sampler {cls}, which is not stored: give the same "
                "sampler when joining it (join_study(..., strategy=sampler))"
            )
        return as_strategy(sampler)
    strategy = next(cls for cls in STRATEGIES.values() if cls.__name__ == name)
    return strategy(**settings)


__all__ = [
    "STRATEGIES",
    "BayesianSearch",
    "EvolutionarySearch",
    "ForeignSampler",
    "GridSearch",
    "RandomSearch",
    "Reseeding",
    "SearchStrategy",
    "Strategy",
    "as_strategy",
    "strategy_from_settings",
    "strategy_settings",
]
