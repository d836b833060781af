"""A read-only view of the trials in the store, shared by strategies, budget, progress and results.

flair-hpo keeps its own notes on Optuna trials in system attributes:

* ``flair_hpo:proposal`` -- the configuration a strategy proposed for a trial (labels);
* ``flair_hpo:superseded`` -- the trial was interrupted and its configuration queued again, so the
  retry counts instead of it;
* ``flair_hpo:skipped`` -- the trial was opened when nothing was left to propose and never trained;
* ``flair_hpo:heartbeat`` -- a counter its worker raises while it trains (see :mod:`flair_hpo.study.heartbeat`);

and two user attributes: ``replicate``, the seed number of a configuration trained more than once (0 for its
first training, 1, 2, ... for further seeds; see :mod:`flair_hpo.strategies.reseeding`), and ``fraction``,
the fraction of the training split a trial trained on (1 unless data halving screened it on less; see
:mod:`flair_hpo.strategies.fidelity`). A trial's dev value counts for its configuration only when it
trained on the whole training split.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from flair_hpo.optuna_internals import trial_id
from flair_hpo.space import Label, configuration_key

PROPOSAL = "flair_hpo:proposal"
HEARTBEAT = "flair_hpo:heartbeat"
REPLICATE = "replicate"
FRACTION = "fraction"
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
    heartbeat: Any = None
    trial_id: int | None = None

    @property
    def replicate(self) -> int:
        """Which training of its configuration this trial is: 0 for the first, 1, 2, ... for further seeds."""
        return int(self.user_attrs.get(REPLICATE, 0))

    @property
    def fraction(self) -> float:
        """The fraction of the training split the trial trained on."""
        return float(self.user_attrs.get(FRACTION, 1.0))

    @property
    def key(self) -> str:
        """What a trial trains: its configuration, with the seed and the fraction when they are not the first
        and the whole."""
        return trained_key(self.labels, self.replicate, self.fraction)

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
            heartbeat=system.get(HEARTBEAT),
            trial_id=trial_id(trial),
        )


def trained_key(labels: dict[str, Label], replicate: int = 0, fraction: float = 1.0) -> str:
    """The key of training ``labels`` with its ``replicate``-th seed on ``fraction`` of the training split (the
    configuration's key for the first seed on all of it)."""
    key = configuration_key(labels)
    if replicate:
        key += f"#{replicate}"
    return key if fraction >= 1.0 else f"{key}@{fraction:.6f}"


@dataclass(frozen=True)
class ConfigurationScore:
    """A configuration and its scored trials (one per seed it was trained with), best first."""

    labels: dict[str, Label]
    records: list[TrialRecord]

    @property
    def values(self) -> list[float]:
        return [r.value for r in self.records]

    @property
    def value(self) -> float:
        """The mean over its seeds."""
        return sum(self.values) / len(self.values)

    @property
    def sd(self) -> float:
        """The standard deviation over its seeds (0 for one seed)."""
        mean = self.value
        n = len(self.values)
        return (sum((v - mean) ** 2 for v in self.values) / (n - 1)) ** 0.5 if n > 1 else 0.0

    @property
    def seeds(self) -> int:
        return len(self.records)

    @property
    def best(self) -> TrialRecord:
        """Its best seed's trial."""
        return self.records[0]


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

    def scored(self, fraction: float = 1.0) -> list[TrialRecord]:
        """Trials with a dev value on ``fraction`` of the training split (all of it by default), best first:
        complete ones and pruned ones (by their best epoch)."""
        done = [
            r
            for r in self.records
            if r.status in ("complete", "pruned") and r.value is not None and abs(r.fraction - fraction) < 1e-9
        ]
        return sorted(done, key=lambda r: (r.value if self.minimize else -r.value, r.number))

    def best(self) -> TrialRecord | None:
        """The trial with the best dev value (the earliest among equals).

        A pruned trial is the best only if the weights it kept really beat every other trial's.
        """
        scored = self.scored()
        return scored[0] if scored else None

    def configurations(self, fraction: float = 1.0) -> list[ConfigurationScore]:
        """Every configuration with a dev value on ``fraction`` of the training split (all of it by default),
        best mean first (the earlier one among equals)."""
        groups: dict[str, list[TrialRecord]] = {}
        for record in self.scored(fraction):
            groups.setdefault(configuration_key(record.labels), []).append(record)
        scores = [ConfigurationScore(records[0].labels, records) for records in groups.values()]
        sign = 1 if self.minimize else -1
        return sorted(scores, key=lambda c: (sign * c.value, min(r.number for r in c.records)))

    def holder(self, record: TrialRecord) -> TrialRecord | None:
        """Another trial that trains what ``record`` trains and comes first: one that finished, or an earlier
        one (of two copies of a retry, the earlier trains and the later gives way)."""
        finished = ("complete", "pruned", "failed")
        return next(
            (
                r
                for r in self._holding(record.number)
                if r.key == record.key and (r.number < record.number or r.status in finished)
            ),
            None,
        )

    def taken(self, except_number: int | None = None) -> set[str]:
        """What is trained, being trained or queued (configurations with their seed and fraction): a worker
        claims what is not in it."""
        return {r.key for r in self._holding(except_number)}

    def tried(self) -> set[str]:
        """Configurations trained, being trained or queued, with any seed on any fraction: never proposed as
        new ones again."""
        return {configuration_key(r.labels) for r in self._holding(None)}

    def _holding(self, except_number: int | None) -> list[TrialRecord]:
        return [
            r
            for r in self.records
            if r.number != except_number and r.status not in ("interrupted", "skipped") and r.labels
        ]
