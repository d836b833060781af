"""The trials of a study as flair-hpo sees them (:class:`History`), and a configuration with its scored trials;
a trial's dev value counts for its configuration only when it trained on the whole training split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flair_hpo.records.trial import TrialRecord, TrialStatus, trained_key
from flair_hpo.space import Label, configuration_key


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


class History:
    """All trials of a study, in trial-number order."""

    def __init__(self, records: list[TrialRecord], minimize: bool) -> None:
        self.records = sorted(records, key=lambda r: r.number)
        self.minimize = minimize
        # A last call, once scored, takes the place of the training cut short that it trained again to the end:
        # that one counts no more, and among equal values the last call ranks at its number.
        last_calls = {trained_key(r.labels, r.replicate, r.fraction): r for r in self.records if r.last_call}
        self._redone = {
            r.number: last_calls[r.key].number
            for r in self.records
            if r.key in last_calls and last_calls[r.key].status.scored and r.value is not None
        }
        self._places = {call: cut for cut, call in self._redone.items()}

    def place(self, record: TrialRecord) -> int:
        """The number ``record`` ranks by among equal values: its own, or for a last call its original's."""
        return self._places.get(record.number, record.number)

    @classmethod
    def of(cls, study: Any) -> History:
        """The history of an Optuna study, read from its storage now."""
        from optuna.study import StudyDirection

        trials = study.get_trials(deepcopy=False)
        return cls([TrialRecord.of(t) for t in trials], study.direction == StudyDirection.MINIMIZE)

    def __len__(self) -> int:
        return len(self.records)

    def counts(self, *statuses: TrialStatus, as_shown: bool = False) -> dict[str, int]:
        """How many trials have each of ``statuses``, by the status's name as people read it; ``as_shown``: by
        the status people read (a complete trial the deadline cut short is ``stopped``)."""
        status_of = (lambda r: r.shown_status) if as_shown else (lambda r: r.status)
        return {status.value: sum(status_of(r) is status for r in self.records) for status in statuses}

    def counted(self) -> list[TrialRecord]:
        """Trials that use budget."""
        return [r for r in self.records if r.counts]

    def waiting(self) -> list[TrialRecord]:
        """Queued configurations not yet picked up by a worker."""
        return [r for r in self.records if r.status is TrialStatus.WAITING]

    def running(self) -> list[TrialRecord]:
        """Trials being trained now, by any worker."""
        return [r for r in self.records if r.status is TrialStatus.RUNNING]

    def scored(self, fraction: float = 1.0) -> list[TrialRecord]:
        """Trials with a dev value on ``fraction`` of the training split (all of it by default), best first:
        complete ones and pruned ones (by their best epoch), but not one that a last call trained again."""
        done = [
            r for r in self.records if r.status.scored and r.value is not None and abs(r.fraction - fraction) < 1e-9
        ]
        done = [r for r in done if r.number not in self._redone]
        return sorted(done, key=lambda r: (r.value if self.minimize else -r.value, self.place(r)))

    def best(self) -> TrialRecord | None:
        """The trial with the best dev value (the earliest among equals; a pruned one by the weights it kept)."""
        scored = self.scored()
        return scored[0] if scored else None

    def configurations(self, fraction: float = 1.0) -> list[ConfigurationScore]:
        """Every configuration with a dev value on ``fraction`` of the training split, best mean first."""
        groups: dict[str, list[TrialRecord]] = {}
        for record in self.scored(fraction):
            groups.setdefault(configuration_key(record.labels), []).append(record)
        scores = [ConfigurationScore(records[0].labels, records) for records in groups.values()]
        sign = 1 if self.minimize else -1
        return sorted(scores, key=lambda c: (sign * c.value, min(self.place(r) for r in c.records)))

    def holder(self, record: TrialRecord) -> TrialRecord | None:
        """Another trial that trains what ``record`` trains and comes first: one that finished, or an earlier
        one (of two copies of a retry, the earlier trains and the later gives way)."""
        return next(
            (
                r
                for r in self._holding(record.number)
                if r.key == record.key and (r.number < record.number or r.status.finished)
            ),
            None,
        )

    def taken(self, except_number: int | None = None) -> set[str]:
        """What is trained, being trained or queued (with seed and fraction): a worker claims what is not in it."""
        return {r.key for r in self._holding(except_number)}

    def tried(self, except_number: int | None = None) -> set[str]:
        """Configurations trained, being trained or queued, never proposed as new ones again."""
        return {configuration_key(r.labels) for r in self._holding(except_number)}

    def _holding(self, except_number: int | None) -> list[TrialRecord]:
        return [
            r
            for r in self.records
            if r.number != except_number and r.status not in (TrialStatus.INTERRUPTED, TrialStatus.SKIPPED) and r.labels
        ]
