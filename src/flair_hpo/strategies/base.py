"""The base of flair-hpo's search strategies: proposes whole configurations, plugged into Optuna as a sampler.

A strategy sees the trial history and proposes the next new configuration as a whole (:meth:`propose`). As
an Optuna sampler it writes that proposal onto the new trial when the trial opens (``before_trial``) and
hands out its values when the trial's parameters are suggested (``sample_independent``), so the proposal
is recorded with proper Optuna distributions and every worker of a study shares one history. What is
trained again (finalists with further seeds, configurations on more data) is not the strategy's business:
the search's policies queue it before the strategy is asked (:mod:`flair_hpo.policies`).

No configuration is trained twice. Two workers could propose the same configuration at the same moment,
so after writing its proposal a worker reads the store again; if another trial holds the same
configuration it backs off for a random moment and proposes anew. Whichever of the two reads last sees
the other, so at most one keeps it; if both give it up, it is free again for the next proposal.

Every strategy the search runs answers the few questions of :class:`Strategy`; any other Optuna sampler is
wrapped to answer them too (:class:`~flair_hpo.strategies.foreign.ForeignSampler`).
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial

from flair_hpo.checks import is_whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.optuna_internals import storage_of, trial_id
from flair_hpo.records import History
from flair_hpo.records.keys import FIXED_PARAMS, PROPOSAL
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.parameters import Budget

_MAX_CLAIM_ATTEMPTS = 100
_EMPTY_HANDED_RETRIES = 5
_BACKOFF_SECONDS = 0.1


class Strategy(BaseSampler, ABC):
    """What a search asks of its strategy, besides Optuna's sampler interface."""

    #: The search space the strategy is bound to (None before :meth:`make_configurations`).
    search_space: SearchSpace | None = None

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

    def knows(self, history: History) -> None:
        """The history the search has just read, for the next proposal (so that it is not read again)."""

    def claim_history(self) -> History | None:
        """The history read when the last proposal was claimed (it holds the new trial); None if none was."""
        return None

    @abstractmethod
    def opened(self, study: optuna.Study, trial: optuna.Trial) -> bool:
        """Make ``trial``, just asked for, hold its configuration; False when nothing was left to propose."""


class SearchStrategy(Strategy):
    """Proposes configurations of a search space; see :class:`GridSearch`, :class:`RandomSearch`,
    :class:`EvolutionarySearch` and :class:`BayesianSearch`.

    Args:
        seed: makes proposals reproducible: trial ``n`` of a study gets the same proposal for the same
            history. None draws from system randomness.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not is_whole_number(seed):
            raise StrategyError(f"seed must be an integer or None, not {seed!r}")
        self.seed = seed
        self.search_space: SearchSpace | None = None
        self._known_history: History | None = None
        self._claim_history: History | None = None

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
    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        """The next configuration (labels) not in ``history.tried()``, or None when none is left."""

    # ------------------------------------------------------------------- what the search asks
    def knows(self, history: History) -> None:
        self._known_history = history

    def claim_history(self) -> History | None:
        history, self._claim_history = self._claim_history, None
        return history

    def settings(self) -> dict[str, Any]:
        return {"strategy": type(self).__name__, "seed": self.seed}

    def opened(self, study: optuna.Study, trial: optuna.Trial) -> bool:
        system = storage_of(study).get_trial_system_attrs(trial_id(trial))
        return FIXED_PARAMS in system or system.get(PROPOSAL) is not None

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

    def _rng(self, trial_number: int, attempt: int) -> random.Random:
        if self.seed is None:
            return random.Random()
        return random.Random(f"{self.seed}:{trial_number}:{attempt}")

    # ------------------------------------------------------------------ Optuna sampler plumbing
    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        history, self._known_history, self._claim_history = self._known_history, None, None
        if FIXED_PARAMS in trial.system_attrs or PROPOSAL in trial.system_attrs:
            return  # a queued configuration (a retry, a policy's) or one already proposed
        jitter = random.Random()
        empty_handed = 0
        storage = storage_of(study)
        for attempt in range(_MAX_CLAIM_ATTEMPTS):
            if history is None:
                history = History.of(study)
            proposal = self.propose(history.without(trial.number), self._rng(trial.number, attempt))
            # Optuna's own samplers note per-trial state this way (GridSampler's grid_id).
            storage.set_trial_system_attr(trial_id(trial), PROPOSAL, proposal)
            if proposal is None:
                # Another worker that is giving up a contested configuration may free it in a moment.
                empty_handed += 1
                if empty_handed > _EMPTY_HANDED_RETRIES:
                    return
            else:
                # Read again: another worker may have claimed the same configuration meanwhile.
                history = History.of(study)
                if configuration_key(proposal) not in history.tried(except_number=trial.number):
                    self._claim_history = history
                    return
            time.sleep(jitter.uniform(0.0, _BACKOFF_SECONDS))  # so that two claimants do not collide again
            history = None
        raise RuntimeError("could not claim a configuration that no other worker holds")

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        proposal = trial.system_attrs.get(PROPOSAL) or {}
        if param_name not in proposal:
            raise RuntimeError(f"trial {trial.number} has no proposed value for {param_name}")
        return proposal[param_name]
