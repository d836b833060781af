"""A read-only view of the trials in the store, shared by strategies, budget, progress and results.

flair-hpo keeps its own notes on Optuna trials in system attributes:

* ``flair_hpo:proposal`` -- the configuration a strategy proposed for a trial (labels);
* ``flair_hpo:superseded`` -- the trial was interrupted and its configuration queued again, so the
  retry counts instead of it;
* ``flair_hpo:skipped`` -- the trial was opened when nothing was left to propose and never trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from flair_hpo.space import Label, configuration_key

PROPOSAL = "flair_hpo:proposal"
SUPERSEDED = "flair_hpo:superseded"
SKIPPED = "flair_hpo:skipped"

_STATUS = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "failed",
    TrialState.RUNNING: "running",
    TrialState.WAITING: "waiting",
}


@dataclass(frozen=True)
class TrialRecord:
    """One trial as flair-hpo sees it."""

    number: int
    status: str
    labels: dict[str, Label]
    value: float | None
    user_attrs: dict[str, Any]
    started: datetime | None
    finished: datetime | None

    @property
    def key(self) -> str:
        return configuration_key(self.labels)

    @property
    def counts(self) -> bool:
        """Whether the trial uses budget: trained, being trained, or failed (not superseded/skipped)."""
        return self.status in ("complete", "pruned", "failed", "running")

    @classmethod
    def of(cls, trial: FrozenTrial) -> TrialRecord:
        system = trial.system_attrs
        if system.get(SKIPPED):
            status = "skipped"
        elif system.get(SUPERSEDED) and trial.state == TrialState.FAIL:
            # Only a failed trial: a worker taken for dead that finishes just as it is marked keeps its result.
            status = "interrupted"
        else:
            status = _STATUS[trial.state]
        labels = system.get("fixed_params") or system.get(PROPOSAL) or trial.params
        return cls(
            number=trial.number,
            status=status,
            labels=dict(labels),
            value=_value(trial),
            user_attrs=dict(trial.user_attrs),
            started=trial.datetime_start,
            finished=trial.datetime_complete,
        )


def _value(trial: FrozenTrial) -> float | None:
    """The trial's objective value; for a pruned trial, that of its best epoch (the weights it kept)."""
    if trial.state == TrialState.COMPLETE:
        return trial.value
    if trial.state == TrialState.PRUNED:
        return trial.user_attrs.get("value", trial.value)
    return None


class History:
    """All trials of a study, in trial-number order."""

    def __init__(self, records: list[TrialRecord], minimize: bool) -> None:
        self.records = sorted(records, key=lambda r: r.number)
        self.minimize = minimize

    @classmethod
    def of(cls, study: Any) -> History:
        """The history of an Optuna study, read from its storage now."""
        from optuna.study import StudyDirection

        trials = study.get_trials(deepcopy=False)
        return cls([TrialRecord.of(t) for t in trials], study.direction == StudyDirection.MINIMIZE)

    def without(self, number: int) -> History:
        """This history minus trial ``number``."""
        return History([r for r in self.records if r.number != number], self.minimize)

    def __len__(self) -> int:
        return len(self.records)

    def counted(self) -> list[TrialRecord]:
        """Trials that use budget."""
        return [r for r in self.records if r.counts]

    def waiting(self) -> list[TrialRecord]:
        """Queued configurations not yet picked up by a worker."""
        return [r for r in self.records if r.status == "waiting"]

    def running(self) -> list[TrialRecord]:
        """Trials being trained now, by any worker."""
        return [r for r in self.records if r.status == "running"]

    def scored(self) -> list[TrialRecord]:
        """Trials that have a dev value, best first: complete ones and pruned ones (by their best epoch)."""
        done = [r for r in self.records if r.status in ("complete", "pruned") and r.value is not None]
        return sorted(done, key=lambda r: (r.value if self.minimize else -r.value, r.number))

    def best(self) -> TrialRecord | None:
        """The trial with the best dev value (the earliest among equals).

        A pruned trial is the best only if the weights it kept really beat every other trial's.
        """
        scored = self.scored()
        return scored[0] if scored else None

    def taken(self, except_number: int | None = None) -> set[str]:
        """Configurations already trained, being trained or queued; never proposed again."""
        return {
            r.key
            for r in self.records
            if r.number != except_number and r.status not in ("interrupted", "skipped") and r.labels
        }
