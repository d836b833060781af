"""The base of flair-hpo's search strategies: each answers one question, the next configuration to try.

A strategy proposes whole configurations from the history; the driver queues them in the study. A strategy is
an Optuna sampler only so that the study holds it: the study never asks it for a value.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial

from flair_hpo.checks import is_whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.records import History
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.parameter_enums import Budget


class Strategy(BaseSampler, ABC):
    """What a search asks of its strategy."""

    #: The search space the strategy is bound to (None before :meth:`make_configurations`).
    search_space: SearchSpace | None = None
    #: Whether the strategy proposes whole configurations (:meth:`propose`); False for an Optuna sampler,
    #: which chooses each value as the trial's parameters are suggested.
    proposes = True

    @abstractmethod
    def make_configurations(self, search_space: SearchSpace) -> None:
        """Bind the strategy to ``search_space`` after checking that it can be searched this way."""

    @property
    def generation_size(self) -> int | None:
        """Trials per generation, for a GENERATIONS budget; None for strategies without generations."""
        return None

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """What identifies this strategy in a study: a resumed study must use the same."""

    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        """The next configuration (labels) not in ``history.tried()``, drawn with ``rng``; None if none is left."""
        raise NotImplementedError(f"{type(self).__name__} chooses values as a trial's parameters are suggested")

    def rng(self, number: int) -> random.Random:
        """The randomness of trial ``number``'s proposal."""
        return random.Random()


class SearchStrategy(Strategy):
    """Proposes configurations of a search space; see :class:`GridSearch`, :class:`RandomSearch`,
    :class:`EvolutionarySearch` and :class:`BayesianSearch`. ``seed``: the same proposal for the same history."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not is_whole_number(seed):
            raise StrategyError(f"seed must be an integer or None, not {seed!r}")
        self.seed = seed
        self.search_space: SearchSpace | None = None

    # ---------------------------------------------------------------------- the tutorial's API
    def make_configurations(self, search_space: SearchSpace) -> None:
        """Bind this strategy to ``search_space`` after checking that it can be searched this way."""
        search_space.check()
        bound, self.search_space = self.search_space, search_space  # a strategy may size itself to the space
        try:
            self._check(search_space)
        except StrategyError:
            self.search_space = bound
            raise

    def _check(self, search_space: SearchSpace) -> None:
        if search_space.budget[0] is Budget.GENERATIONS and self.generation_size is None:
            raise StrategyError(
                f"a GENERATIONS budget needs EvolutionarySearch; {type(self).__name__} counts RUNS or TIME_IN_H"
            )

    # --------------------------------------------------------------------------- to implement
    @abstractmethod
    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None: ...

    # ------------------------------------------------------------------- what the search asks
    def rng(self, number: int) -> random.Random:
        """The randomness of trial ``number``'s proposal: the same for the same seed and number."""
        return random.Random() if self.seed is None else random.Random(f"{self.seed}:{number}:0")

    def settings(self) -> dict[str, Any]:
        return {"strategy": type(self).__name__, "seed": self.seed}

    @property
    def space(self) -> SearchSpace:
        if self.search_space is None:
            raise StrategyError(f"call {type(self).__name__}.make_configurations(search_space) before optimizing")
        return self.search_space

    def random_unseen(self, taken: set[str], rng: random.Random) -> dict[str, Label] | None:
        """A random configuration not in ``taken``; None when the space is exhausted."""
        for _ in range(100):
            labels = self.space.sample(rng)
            if configuration_key(labels) not in taken:
                return labels
        if self.space.size is None:
            return labels  # a continuous space: a repeat after 100 draws is astronomically unlikely
        left = [labels for labels in self.space.grid() if configuration_key(labels) not in taken]
        return rng.choice(left) if left else None

    # ------------------------------------------------------------------ Optuna sampler plumbing
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        raise StrategyError(
            f"trial {trial.number} has no proposed value for {param_name}: {type(self).__name__} proposes whole "
            "configurations, which the search queues in the study (flair_hpo.search.driver)"
        )
