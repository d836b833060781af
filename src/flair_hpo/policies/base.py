"""Search policies: what to train before the strategy is asked.

A strategy (any Optuna sampler, flair-hpo's own included) proposes new configurations. Around it, a search
follows policies that need no sampler's cooperation, as Ray Tune wraps any searcher in a ``Repeater``:

* :class:`~flair_hpo.policies.reseeding.Reseeding`: at the end of the budget, the best configurations are
  trained again with further seeds before the best mean wins;
* starts (``search_space.add_start``, a recipe's published configuration): known-good configurations are
  trained first, on the whole split, before the strategy proposes anything;
* the last call (:mod:`~flair_hpo.policies.last_call`): when the model the search would return is from a
  trial cut short, its configuration is trained again to the end before the budget runs out.

Each turn of the search the budget names its :class:`Move`; the policies then say whether a configuration
should be trained now (:class:`Queued`) and the search puts it in Optuna's queue (``enqueue_trial``) before
it asks the study for the next trial. Optuna hands out queued trials first, to whichever worker asks, and
never consults the sampler for them; so every strategy, and every Optuna sampler, is followed by the same
policies. What a policy queued carries its seed number along as the trial's notes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import optuna

from flair_hpo.policies.last_call import announce, cut_short_model
from flair_hpo.policies.reseeding import Reseeding
from flair_hpo.records import History, TrialRecord, queue_notes
from flair_hpo.space import Label, configuration_key


class Move(enum.Enum):
    """What the next trial of a search is for, as the budget decides it."""

    #: A new configuration.
    EXPLORE = "explore"
    #: A finalist trained again with a further seed.
    RESEED = "reseed"
    #: The end of the budget: the trial whose model the search would return, cut short, is trained again to
    #: the end (:mod:`~flair_hpo.policies.last_call`).
    LAST_CALL = "last call"
    #: No trial starts: the budget is spent.
    SPENT = "spent"
    #: No trial starts: every configuration was tried, none is left to train again.
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class Queued:
    """A configuration a policy wants trained next, with its seed number; ``last_call``: to its last epoch,
    without pruning."""

    labels: dict[str, Label]
    replicate: int = 0
    last_call: bool = False


@dataclass(frozen=True)
class Policies:
    """The policies of one search (see the module's docstring)."""

    reseeding: Reseeding = field(default_factory=lambda: Reseeding(finalists=0))
    #: Configurations (labels) to train first, in order (:attr:`flair_hpo.space.SearchSpace.starts`).
    starts: tuple[dict[str, Label], ...] = ()
    #: Whether a model cut short is trained again to the end at the end of the budget (the last call).
    last_call: bool = True

    def cut_short(self, history: History) -> TrialRecord | None:
        """The trial cut short that the last call would train again to the end, or None (see
        :func:`~flair_hpo.policies.last_call.cut_short_model`)."""
        return cut_short_model(history, self.reseeding) if self.last_call else None

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
        if move is Move.LAST_CALL:
            cut = self.cut_short(history)
            return Queued(cut.labels, cut.replicate, last_call=True) if cut is not None else None
        return None


def ask(study: optuna.Study, policies: Policies, history: History, move: Move) -> optuna.Trial:
    """The next trial of ``study``: what ``policies`` want trained now (queued first, so that Optuna hands it
    out rather than ask the sampler), or else a new proposal."""
    queued = policies.next(history, move)
    if queued is not None:
        if queued.last_call:
            announce(policies.cut_short(history))
        notes = queue_notes(queued.replicate, queued.last_call)
        study.enqueue_trial(queued.labels, user_attrs=notes, skip_if_exists=False)
    return study.ask()
