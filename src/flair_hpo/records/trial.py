"""One trial as flair-hpo sees it: its status and what its worker noted on it, read from an Optuna trial."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from flair_hpo.optuna_internals import trial_id
from flair_hpo.records import keys
from flair_hpo.space import Label, configuration_key


class TrialStatus(enum.StrEnum):
    """What happened to a trial. Its value is what leaderboards and reports show."""

    COMPLETE = "complete"
    PRUNED = "pruned"
    FAILED = "failed"
    RUNNING = "running"
    WAITING = "waiting"
    #: Its worker stopped (killed, SIGTERM, a machine fault, a lost heartbeat); its configuration was queued again.
    INTERRUPTED = "interrupted"
    #: Opened when nothing was left to propose, or what it was given was held by another trial; trained nothing.
    SKIPPED = "skipped"
    #: Shown, never stored: a complete trial that the time budget's deadline stopped before its last epoch (the
    #: study keeps it complete: its best epoch's score counts like any other).
    STOPPED = "stopped"

    @property
    def scored(self) -> bool:
        """Whether the trial has a dev value: complete, or pruned (by its best epoch)."""
        return self in (TrialStatus.COMPLETE, TrialStatus.PRUNED)

    @property
    def finished(self) -> bool:
        return self in (TrialStatus.COMPLETE, TrialStatus.PRUNED, TrialStatus.FAILED)

    @property
    def counts(self) -> bool:
        """Whether a trial of this status uses budget: trained, being trained, or failed."""
        return self.finished or self is TrialStatus.RUNNING


_STATUS = {
    TrialState.COMPLETE: TrialStatus.COMPLETE,
    TrialState.PRUNED: TrialStatus.PRUNED,
    TrialState.FAIL: TrialStatus.FAILED,
    TrialState.RUNNING: TrialStatus.RUNNING,
    TrialState.WAITING: TrialStatus.WAITING,
}


def trained_key(labels: dict[str, Label], replicate: int = 0, fraction: float = 1.0, last_call: bool = False) -> str:
    """The key of training ``labels`` with its ``replicate``-th seed on ``fraction`` of the training split (the
    configuration's key for the first seed on all of it); ``last_call``: that training again, to the end."""
    key = configuration_key(labels)
    if replicate:
        key += f"#{replicate}"
    key = key if fraction >= 1.0 else f"{key}@{fraction:.6f}"
    return f"{key}!last-call" if last_call else key


def queue_notes(replicate: int = 0, last_call: bool = False) -> dict[str, Any]:
    """The notes a queued trial carries (``enqueue_trial``'s user attributes): its seed, and if it is a last call."""
    notes: dict[str, Any] = {keys.REPLICATE: replicate}
    if last_call:
        notes[keys.LAST_CALL] = True
    return notes


def _noted(key: str) -> Any:
    """A property of :class:`TrialRecord`: what its worker noted under ``key`` (None: nothing)."""
    return property(lambda record: record.user_attrs.get(key))


@dataclass(frozen=True)
class TrialRecord:
    """One trial as flair-hpo sees it."""

    number: int
    status: TrialStatus
    labels: dict[str, Label]
    value: float | None
    user_attrs: dict[str, Any]
    started: datetime | None
    finished: datetime | None
    heartbeat: Any = None
    trial_id: int | None = None
    #: The last epoch the trial reported (its intermediate values are by epoch): a running trial's progress.
    last_epoch: int | None = None

    @classmethod
    def of(cls, trial: FrozenTrial) -> TrialRecord:
        system = trial.system_attrs
        if system.get(keys.SKIPPED):
            status = TrialStatus.SKIPPED
        elif system.get(keys.SUPERSEDED) and trial.state == TrialState.FAIL:
            # Only a failed trial: a worker taken for dead that finishes just as it is marked keeps its result.
            status = TrialStatus.INTERRUPTED
        else:
            status = _STATUS[trial.state]
        labels = system.get(keys.FIXED_PARAMS) or system.get(keys.PROPOSAL) or trial.params
        return cls(
            number=trial.number,
            status=status,
            labels=dict(labels),
            value=_value(trial),
            user_attrs=dict(trial.user_attrs),
            started=trial.datetime_start,
            finished=trial.datetime_complete,
            heartbeat=system.get(keys.HEARTBEAT),
            trial_id=trial_id(trial),
            last_epoch=max(trial.intermediate_values, default=None),
        )

    # -------------------------------------------------------------------- what its worker noted
    @property
    def replicate(self) -> int:
        """Which training of its configuration this trial is: 0 for the first, 1, 2, ... for further seeds."""
        return int(self.user_attrs.get(keys.REPLICATE, 0))

    @property
    def fraction(self) -> float:
        """The fraction of the training split the trial trained on (below 1 only with earlier data halving)."""
        return float(self.user_attrs.get(keys.FRACTION, 1.0))

    @property
    def last_call(self) -> bool:
        """Whether the trial trains again, to the end, a trial that was cut short (see :data:`keys.LAST_CALL`)."""
        return bool(self.user_attrs.get(keys.LAST_CALL))

    @property
    def stopped_by_deadline(self) -> bool:
        """Whether the time budget's deadline stopped it before its last epoch (the study keeps it complete)."""
        return self.status is TrialStatus.COMPLETE and bool(self.user_attrs.get(keys.STOPPED_BY_TIME_BUDGET))

    @property
    def cut_short(self) -> bool:
        """Whether its training stopped before its last epoch: pruned, or by the deadline."""
        return self.status is TrialStatus.PRUNED or self.stopped_by_deadline

    @property
    def shown_status(self) -> TrialStatus:
        """The status people read: ``stopped`` for a complete trial the deadline cut short."""
        return TrialStatus.STOPPED if self.stopped_by_deadline else self.status

    duration_s = _noted(keys.DURATION)
    epochs = _noted(keys.EPOCHS)
    best_epoch = _noted(keys.BEST_EPOCH)
    dev_score = _noted(keys.DEV_SCORE)
    dev_loss = _noted(keys.DEV_LOSS)
    #: The CPU threads it trained with (None: not noted, as by earlier versions).
    threads = _noted(keys.THREADS)

    @property
    def error(self) -> str:
        return str(self.user_attrs.get(keys.ERROR) or "")

    @property
    def owner(self) -> dict[str, Any]:
        """The identity of the process that ran the trial (empty before it claimed it)."""
        return dict(self.user_attrs.get(keys.OWNER) or {})

    @property
    def key(self) -> str:
        """What a trial trains: its configuration, with its seed and fraction unless the first and the whole."""
        return trained_key(self.labels, self.replicate, self.fraction, self.last_call)

    @property
    def refused(self) -> bool:
        """Whether the trial was refused before it was built: its configuration is not one of the space's."""
        return bool(self.user_attrs.get(keys.REFUSED))

    @property
    def counts(self) -> bool:
        """Whether the trial uses budget: trained, being trained, or failed (not superseded, skipped or refused)."""
        return self.status.counts and not self.refused


def _value(trial: FrozenTrial) -> float | None:
    """The trial's objective value; for a pruned trial, that of its best epoch (the weights it kept)."""
    if trial.state == TrialState.COMPLETE:
        return trial.value
    if trial.state == TrialState.PRUNED:
        return trial.user_attrs.get(keys.VALUE, trial.value)
    return None
