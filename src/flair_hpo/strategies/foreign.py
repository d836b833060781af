"""Any Optuna sampler as a flair-hpo strategy: it chooses each value as the trial's parameters are suggested,
with the search's budget and policies around it.

A configuration it chooses again is trained with its next seed, as in a plain Optuna loop: the search would
otherwise stall on it.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseGASampler, BaseSampler
from optuna.trial import FrozenTrial, TrialState

from flair_hpo.space import SearchSpace
from flair_hpo.strategies.base import Strategy

#: How a study stores that it is searched with an Optuna sampler (whose class is stored too).
OPTUNA = "optuna"


class ForeignSampler(Strategy):
    """``sampler``, an Optuna sampler, as a strategy of a search."""

    proposes = False

    def __init__(self, sampler: BaseSampler) -> None:
        self.sampler = sampler
        self.search_space: SearchSpace | None = None

    def make_configurations(self, search_space: SearchSpace) -> None:
        search_space.check()
        self.search_space = search_space

    @property
    def generation_size(self) -> int | None:
        return self.sampler.population_size if isinstance(self.sampler, BaseGASampler) else None

    def settings(self) -> dict[str, Any]:
        cls = type(self.sampler)
        return {"strategy": OPTUNA, "sampler": f"{cls.__module__}.{cls.__qualname__}"}

    # ---------------------------------------------------------------- Optuna's sampler interface
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return self.sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self.sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self.sampler.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.sampler.before_trial(study, trial)

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: list[float] | None
    ) -> None:
        self.sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.sampler.reseed_rng()


def as_strategy(sampler: BaseSampler) -> Strategy:
    """``sampler`` as what a search asks of its strategy: flair-hpo's own as they are, any other wrapped."""
    return sampler if isinstance(sampler, Strategy) else ForeignSampler(sampler)
