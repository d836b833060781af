"""Search policies: what to train before the strategy is asked.

A strategy (any Optuna sampler, flair-hpo's own included) proposes new configurations. Around it, a search
follows policies that need no sampler's cooperation, as Ray Tune wraps any searcher in a ``Repeater``:

* :class:`~flair_hpo.policies.reseeding.Reseeding`: at the end of the budget, the best configurations are
  trained again with further seeds before the best mean wins;
* :class:`~flair_hpo.policies.fidelity.DataFidelity` (data halving): new configurations are screened on a
  small part of the training split, and the best of them are trained again on more of it;
* starts (``search_space.add_start``, a recipe's published configuration): known-good configurations are
  trained first, on the whole split, before the strategy proposes anything.

Each turn of the search the budget names its :class:`Move`; the policies then say whether a configuration
should be trained now (:class:`Queued`) and the search puts it in Optuna's queue (``enqueue_trial``) before
it asks the study for the next trial. Optuna hands out queued trials first, to whichever worker asks, and
never consults the sampler for them; so every strategy, and every Optuna sampler, is followed by the same
policies. What a policy queued carries its seed number and fraction along as the trial's notes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import optuna

from flair_hpo.policies.fidelity import DataFidelity
from flair_hpo.policies.reseeding import Reseeding
from flair_hpo.records import History, keys
from flair_hpo.space import Label, configuration_key


class Move(enum.Enum):
    """What the next trial of a search is for, as the budget decides it."""

    #: A new configuration, or one promoted to more data.
    EXPLORE = "explore"
    #: A finalist trained again with a further seed.
    RESEED = "reseed"
    #: Data halving about to run out of time with no configuration trained on the whole split: the best
    #: screened one is trained on it.
    LAST_CALL = "last call"
    #: No trial starts: the budget is spent.
    SPENT = "spent"
    #: No trial starts: every configuration was tried, none is left to promote or train again.
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class Queued:
    """A configuration a policy wants trained next, with the seed number and the fraction of the training
    split it is trained with."""

    labels: dict[str, Label]
    replicate: int = 0
    fraction: float = 1.0


@dataclass(frozen=True)
class Policies:
    """The policies of one search (see the module's docstring)."""

    reseeding: Reseeding = field(default_factory=lambda: Reseeding(finalists=0))
    fidelity: DataFidelity | None = None
    #: Configurations (labels) to train first, in order (:attr:`flair_hpo.space.SearchSpace.starts`).
    starts: tuple[dict[str, Label], ...] = ()

    @property
    def new_fraction(self) -> float:
        """The fraction of the training split a new configuration trains on."""
        return self.fidelity.first if self.fidelity is not None else 1.0

    def next(self, history: History, move: Move) -> Queued | None:
        """What to train now for ``move``, before the strategy proposes anything; None: a new configuration."""
        if move is Move.RESEED:
            again = self.reseeding.next(history)
            return Queued(again[0], again[1]) if again is not None else None
        if move is Move.EXPLORE:
            tried = history.tried()
            start = next((s for s in self.starts if configuration_key(s) not in tried), None)
            if start is not None:
                return Queued(start)
        if self.fidelity is None:
            return None
        fidelity = self.fidelity.with_last_call() if move is Move.LAST_CALL else self.fidelity
        promoted = fidelity.promotion(history)
        return Queued(promoted[0], fraction=promoted[1]) if promoted is not None else None


def ask(study: optuna.Study, policies: Policies, history: History, move: Move) -> optuna.Trial:
    """The next trial of ``study``: what ``policies`` want trained now (queued first, so that Optuna hands it
    out rather than ask the sampler), or else a new proposal, noted with the fraction new ones train on."""
    queued = policies.next(history, move)
    if queued is not None:
        notes = {keys.REPLICATE: queued.replicate, keys.FRACTION: queued.fraction}
        study.enqueue_trial(queued.labels, user_attrs=notes, skip_if_exists=False)
    trial = study.ask()
    if keys.FRACTION not in trial.user_attrs and policies.new_fraction < 1.0:
        trial.set_user_attr(keys.FRACTION, policies.new_fraction)
    return trial
