"""The driver: what a search does next, decided from the study's history (as KerasTuner's Oracle decides).

Each turn the driver names one :class:`Step`, the first that applies: stop (budget spent, or the strategy
repeats itself); a trial waiting in the study; the last call; a finalist's further seed; a start; the
strategy's proposal; else what reseeding and the last call have left, or stop. A stop becomes *wait* while
other workers' trials run.

:meth:`Driver.open` queues the step's configuration in the study and claims the next trial, then reads the
study again and closes unused (*skipped*) a trial that another already holds or that the budget no longer
admits: however many workers race, nothing is trained twice with one seed and no budget is overshot.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass, field

import optuna
from optuna.trial import TrialState

from flair_hpo.optuna_internals import storage_of, trial_id
from flair_hpo.policies import Policies
from flair_hpo.policies.last_call import announcement
from flair_hpo.records import History, TrialRecord, TrialStatus, keys, queue_notes, trained_key
from flair_hpo.search.budget import BudgetState, space_exhausted
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.admission import outside_space
from flair_hpo.strategies import Strategy

log = logging.getLogger("flair_hpo")

#: Trials in a row that were skipped (a strategy that proposes only what was tried): the search stops.
SKIPS = 20


class Action(enum.Enum):
    """What a step of the search does."""

    START = "start"  # a configuration to train first
    RESEED = "reseed"  # a finalist trained again with a further seed
    LAST_CALL = "last call"  # a best model cut short, trained again to the end without the pruner
    PROPOSAL = "proposal"  # the strategy's new configuration
    QUEUED = "queued"  # a trial waiting in the study
    WAIT = "wait"  # nothing to train now; other workers' trials run
    STOP = "stop"


@dataclass(frozen=True)
class Step:
    """What the driver says happens next: a trial to train (``labels`` to queue with seed number ``replicate``,
    or none: the study's queue or sampler gives them), or no trial, and ``why``."""

    action: Action
    labels: dict[str, Label] = field(default_factory=dict)
    replicate: int = 0
    why: str = ""

    @property
    def trains(self) -> bool:
        return self.action not in (Action.WAIT, Action.STOP)


@dataclass(frozen=True)
class Opened:
    """A trial the driver opened and claimed: ``record`` is what it trains (its configuration, seed number and
    whether it is the last call), ``history`` the study as read for the claim."""

    trial: optuna.Trial
    record: TrialRecord
    history: History


class Driver:
    """Decides each step of a search over ``space``: ``strategy`` proposes, ``policies`` add what to train
    besides, ``budget`` says how much is left (by default the space's, from now on)."""

    def __init__(
        self,
        space: SearchSpace,
        strategy: Strategy,
        policies: Policies | None = None,
        budget: BudgetState | None = None,
    ) -> None:
        self.space, self.strategy = space, strategy
        self.policies = policies or Policies()
        self.budget = budget or BudgetState.start(space, strategy, used_seconds=0.0)

    def next(self, history: History) -> Step:
        """The next step of the search, from ``history``."""
        step = self._step(history)
        if not step.trains and history.running():
            return Step(Action.WAIT, why=step.why)  # if one of them dies, its configuration comes back
        return step

    def _step(self, history: History) -> Step:
        budget, reseeding = self.budget, self.policies.reseeding
        if not budget.allows_new_trial(history):
            return Step(Action.STOP, why="the budget is spent")
        if len(history) >= SKIPS and all(r.status is TrialStatus.SKIPPED for r in history.records[-SKIPS:]):
            return Step(Action.STOP, why="the strategy proposes only configurations that were tried")
        if history.waiting():
            return Step(Action.QUEUED)
        cut = self.policies.cut_short(history)
        if cut is not None and budget.keeps_last_call(history, cut, self.space.max_epochs):
            return _last_call(cut)
        finalist = reseeding.next(history)
        if finalist is not None and budget.keeps_for(history, reseeding.trials):
            return Step(Action.RESEED, *finalist)
        exhausted = space_exhausted(self.space, history)
        new = None if exhausted else self._new(history)
        if new is not None:
            return new
        if finalist is not None:
            return Step(Action.RESEED, *finalist)
        if cut is not None:
            return _last_call(cut)
        why = "every configuration of the search space has been tried" if exhausted else "no configuration is free now"
        return Step(Action.STOP, why=why)

    def _new(self, history: History) -> Step | None:
        """A start not tried yet, else the strategy's proposal; None when it has none."""
        tried = history.tried()
        start = next((s for s in self.policies.starts if configuration_key(s) not in tried), None)
        if start is not None:
            return Step(Action.START, start)
        if not self.strategy.proposes:
            return Step(Action.PROPOSAL)
        # Proposed for the trial it will most likely be (the next number): a search reproduces with its seed.
        labels = self.strategy.propose(history, self.strategy.rng(len(history)))
        return None if labels is None else Step(Action.PROPOSAL, labels)

    def open(self, study: optuna.Study, step: Step) -> Opened | None:
        """The trial of ``step``, opened in ``study`` and claimed; None when it was skipped."""
        if step.action is Action.LAST_CALL:
            log.info("%s", step.why)
        if step.labels:
            notes = queue_notes(step.replicate, step.action is Action.LAST_CALL)
            study.enqueue_trial(step.labels, user_attrs=notes, skip_if_exists=False)
        trial = study.ask()
        try:
            return self._opened(study, trial)
        except BaseException:  # stopped (Ctrl-C, SIGTERM) before the trial trains: nothing is left running
            _close_unused(study, trial)
            raise

    def _opened(self, study: optuna.Study, trial: optuna.Trial) -> Opened | None:
        # Every trial the search queues notes its seed number; one queued through Optuna's own enqueue_trial (by
        # a person or a script) has a configuration but no note; Optuna opened any other afresh.
        ours = keys.REPLICATE in trial.user_attrs
        history = History.of(study)
        record = _record(history, trial)
        if not ours and not record.labels:
            if self.strategy.proposes:  # what was queued went to another worker meanwhile
                return _skip(study, trial)
            self.space.suggest(trial)  # the sampler chooses
            history = History.of(study)  # what other workers did meanwhile
            record = _record(history, trial)
        if not ours:
            record = _next_seed(trial, record, history)
        if outside_space(self.space, record.labels) is not None:
            return Opened(trial, record, history)  # refused at the door before anything is built from it
        if history.holder(record) is not None or not self.budget.admits(history, trial.number):
            return _skip(study, trial)
        self.space.suggest(trial)  # the queued configuration becomes the trial's parameters
        return Opened(trial, record, history)


def _record(history: History, trial: optuna.Trial) -> TrialRecord:
    return next(r for r in history.records if r.number == trial.number)


def _last_call(cut: TrialRecord) -> Step:
    return Step(Action.LAST_CALL, cut.labels, cut.replicate, why=announcement(cut))


def _next_seed(trial: optuna.Trial, record: TrialRecord, history: History) -> TrialRecord:
    """``record`` with the first seed number of its configuration that no other trial holds: a sampler that
    chooses a configuration again trains it with its next seed."""
    taken = history.taken(except_number=trial.number)
    replicate = 0
    while trained_key(record.labels, replicate) in taken:
        replicate += 1
    if not replicate:
        return record
    trial.set_user_attr(keys.REPLICATE, replicate)
    return dataclasses.replace(record, user_attrs={**record.user_attrs, keys.REPLICATE: replicate})


def _close_unused(study: optuna.Study, trial: optuna.Trial) -> None:
    """Skip ``trial`` if it still runs; a storage that fails now is left to the heartbeats of other workers."""
    try:
        if study.get_trials(deepcopy=False)[trial.number].state is TrialState.RUNNING:
            _skip(study, trial)
    except Exception:  # the search is stopping anyway: say why it could not be closed, keep the first error
        log.debug("trial %d could not be closed unused", trial.number, exc_info=True)


def _skip(study: optuna.Study, trial: optuna.Trial) -> None:
    """Close a trial that trains nothing; it uses no budget, and what it was given stays free."""
    storage_of(study).set_trial_system_attr(trial_id(trial), keys.SKIPPED, True)
    study.tell(trial, state=TrialState.FAIL)
