"""The base of all search strategies: proposes whole configurations, plugged into Optuna as a sampler.

A strategy sees the trial history and proposes the next configuration as a whole (:meth:`propose`). As
an Optuna sampler it writes that proposal onto the new trial when the trial opens (``before_trial``) and
hands out its values when the trial's parameters are suggested (``sample_independent``), so the proposal
is recorded with proper Optuna distributions and every worker of a study shares one history.

No configuration is trained twice. Two workers could propose the same configuration at the same moment,
so after writing its proposal a worker reads the store again; if another trial holds the same
configuration it backs off for a random moment and proposes anew. Whichever of the two reads last sees
the other, so at most one keeps it; if both give it up, it is free again for the next proposal.
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
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.parameters import Budget
from flair_hpo.strategies.fidelity import DataFidelity
from flair_hpo.strategies.history import FRACTION, PROPOSAL, REPLICATE, History, trained_key
from flair_hpo.strategies.reseeding import Reseeding

_MAX_CLAIM_ATTEMPTS = 100
_EMPTY_HANDED_RETRIES = 5
_BACKOFF_SECONDS = 0.1


class SearchStrategy(BaseSampler, ABC):
    """Proposes configurations of a search space; see :class:`GridSearch`, :class:`RandomSearch` and
    :class:`EvolutionarySearch`.

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
        self._reseeding: Reseeding | None = None
        self._fidelity: DataFidelity | None = None

    @property
    def generation_size(self) -> int | None:
        """Trials per generation, for a GENERATIONS budget; None for strategies without generations."""
        return None

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

    def knows(self, history: History, reseeding: Reseeding | None = None, fidelity: DataFidelity | None = None) -> None:
        """The history the caller has just read, for the next proposal (so that it is not read again); with
        ``reseeding``, the next trial trains a finalist with a further seed (while one is left to train); with
        ``fidelity``, a configuration that earned it is trained on more data, and new ones on a small part."""
        self._known_history = history
        self._reseeding = reseeding
        self._fidelity = fidelity

    def claim_history(self) -> History | None:
        """The history read when the last proposal was claimed (it holds the new trial); None if none was."""
        history, self._claim_history = self._claim_history, None
        return history

    def settings(self) -> dict[str, Any]:
        """What identifies this strategy in a study: a resumed study must use the same."""
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

    def _rng(self, trial_number: int, attempt: int) -> random.Random:
        if self.seed is None:
            return random.Random()
        return random.Random(f"{self.seed}:{trial_number}:{attempt}")

    # ------------------------------------------------------------------ Optuna sampler plumbing
    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        history, self._known_history, self._claim_history = self._known_history, None, None
        reseeding, self._reseeding = self._reseeding, None
        fidelity, self._fidelity = self._fidelity, None
        if "fixed_params" in trial.system_attrs or PROPOSAL in trial.system_attrs:
            return  # a queued configuration (a retry) or one already proposed
        jitter = random.Random()
        empty_handed = 0
        storage = storage_of(study)
        for attempt in range(_MAX_CLAIM_ATTEMPTS):
            if history is None:
                history = History.of(study)
            proposal, replicate, fraction = self._next(
                history.without(trial.number), trial.number, attempt, reseeding, fidelity
            )
            # Optuna's own samplers note per-trial state this way (GridSampler's grid_id).
            storage.set_trial_system_attr(trial_id(trial), PROPOSAL, proposal)
            storage.set_trial_user_attr(trial_id(trial), REPLICATE, replicate)
            storage.set_trial_user_attr(trial_id(trial), FRACTION, fraction)
            if proposal is None:
                # Another worker that is giving up a contested configuration may free it in a moment.
                empty_handed += 1
                if empty_handed > _EMPTY_HANDED_RETRIES:
                    return
            else:
                # Read again: another worker may have claimed the same configuration meanwhile.
                history = History.of(study)
                if trained_key(proposal, replicate, fraction) not in history.taken(except_number=trial.number):
                    self._claim_history = history
                    return
            time.sleep(jitter.uniform(0.0, _BACKOFF_SECONDS))  # so that two claimants do not collide again
            history = None
        raise RuntimeError("could not claim a configuration that no other worker holds")

    def _next(
        self,
        history: History,
        number: int,
        attempt: int,
        reseeding: Reseeding | None,
        fidelity: DataFidelity | None,
    ) -> tuple[dict[str, Label] | None, int, float]:
        """What the trial trains: a finalist with a further seed, a configuration promoted to more data, or a
        new configuration (on all the data, or on the first fraction); with its seed number and fraction."""
        again = reseeding.next(history) if reseeding is not None else None
        if again is not None:
            return again[0], again[1], 1.0
        promoted = fidelity.promotion(history) if fidelity is not None else None
        if promoted is not None:
            return promoted[0], 0, promoted[1]
        return self.propose(history, self._rng(number, attempt)), 0, fidelity.first if fidelity else 1.0

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


def nothing_left(study: optuna.Study, trial: optuna.Trial) -> bool:
    """True when the strategy had no configuration left to propose for ``trial`` (it was opened in vain)."""
    system = storage_of(study).get_trial_system_attrs(trial_id(trial))
    return "fixed_params" not in system and system.get(PROPOSAL) is None
