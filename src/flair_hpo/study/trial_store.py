"""The Optuna study that stores every trial of a search, and what flair-hpo keeps beside it.

By default the study lives in a journal file, ``base_path/study.journal``; any Optuna storage URL (for
example ``postgresql://...``) can be given instead (see :mod:`flair_hpo.study.storages`). When the study is
created, the search space, the strategy's settings, the label type, a fingerprint of the corpus and the
run settings a worker needs (:data:`RUN_ATTR`: the corpus reference, pruner, ...) are stored with it;
reopening the study with anything different is refused, so a study never mixes two searches.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.samplers import BaseSampler
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from optuna.trial import TrialState

from flair_hpo.errors import StudyMismatchError
from flair_hpo.space import SearchSpace
from flair_hpo.strategies import strategy_settings
from flair_hpo.strategies.history import REPLICATE, SUPERSEDED, History, TrialRecord
from flair_hpo.study.storages import study_exists

SPACE_ATTR = "flair_hpo:search_space"
STRATEGY_ATTR = "flair_hpo:strategy"
RUN_ATTR = "flair_hpo:run"
_CORPUS = "flair_hpo:corpus"
_LABEL_TYPE = "flair_hpo:label_type"
_SESSION_PREFIX = "flair_hpo:session:"
OWNER = "flair_hpo:owner"

log = logging.getLogger("flair_hpo")


def _describe_difference(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    differences = []
    old_dims = {d["name"]: d for d in stored.pop("dimensions", [])}
    new_dims = {d["name"]: d for d in new.pop("dimensions", [])}
    for name in sorted(old_dims.keys() | new_dims.keys()):
        before, after = old_dims.get(name), new_dims.get(name)
        if before != after:
            show = lambda d: "absent" if d is None else d.get("labels") or f"{d.get('low')} .. {d.get('high')}"  # noqa: E731
            differences.append(f"{name}: {show(before)} in the study, {show(after)} now")
    for key in sorted(stored.keys() | new.keys()):
        if key != "budget" and stored.get(key) != new.get(key):
            differences.append(f"{key}: {stored.get(key)!r} in the study, {new.get(key)!r} now")
    return differences


@dataclass
class TrialStore:
    """A study opened for searching, with its storage and flair-hpo's records."""

    study: optuna.Study
    storage: BaseStorage
    study_id: int
    created: bool

    @classmethod
    def open(
        cls,
        storage: BaseStorage,
        study_name: str,
        space: SearchSpace,
        strategy: BaseSampler,
        label_type: str,
        corpus: dict[str, Any],
        pruner: optuna.pruners.BasePruner | None = None,
        run: dict[str, Any] | None = None,
    ) -> TrialStore:
        """Create the study, or reopen it after checking it was made for this very search."""
        if study_exists(storage, study_name):
            study = optuna.load_study(study_name=study_name, storage=storage, sampler=strategy, pruner=pruner)
            store = cls(study, storage, storage.get_study_id_from_name(study_name), created=False)
            store.check_same_search(space, strategy, label_type, corpus)
            return store
        study = optuna.create_study(
            storage=storage, study_name=study_name, direction=space.direction, sampler=strategy, pruner=pruner
        )
        store = cls(study, storage, storage.get_study_id_from_name(study_name), created=True)
        store.set(SPACE_ATTR, space.to_dict())
        store.set(STRATEGY_ATTR, strategy_settings(strategy))
        store.set(_LABEL_TYPE, label_type)
        store.set(_CORPUS, corpus)
        store.set(RUN_ATTR, run or {})  # last: workers that wait for the study start once it is there
        return store

    def check_same_search(
        self, space: SearchSpace, strategy: BaseSampler, label_type: str, corpus: dict[str, Any]
    ) -> None:
        """Refuse to continue a study made for a different space, strategy, label type or corpus."""
        stored_space = self.get(SPACE_ATTR)
        if stored_space is None:
            raise StudyMismatchError(
                f"the study '{self.study.study_name}' was not created by flair-hpo; use another study name"
            )
        problems = _describe_difference(dict(stored_space), space.to_dict())
        if self.get(STRATEGY_ATTR) != strategy_settings(strategy):
            problems.append(f"strategy: {self.get(STRATEGY_ATTR)} in the study, {strategy_settings(strategy)} now")
        if self.get(_LABEL_TYPE) != label_type:
            problems.append(f"label type: {self.get(_LABEL_TYPE)!r} in the study, {label_type!r} now")
        if self.get(_CORPUS) != corpus:
            problems.append(
                f"corpus: {self.get(_CORPUS)} in the study, {corpus} now (a corpus whose dev split is "
                "sampled at random, like TREC_6(), needs flair.set_seed(...) before it is loaded to come "
                "out the same)"
            )
        if problems:
            raise StudyMismatchError(
                f"the study '{self.study.study_name}' was created for a different search, so it is not "
                "continued; use a new base_path (or study name), or restore the original settings:\n  - "
                + "\n  - ".join(problems)
            )

    # ------------------------------------------------------------------------- attributes
    def set(self, key: str, value: Any) -> None:
        self.storage.set_study_system_attr(self.study_id, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        return self.storage.get_study_system_attrs(self.study_id).get(key, default)

    def history(self) -> History:
        return History.of(self.study)

    # ----------------------------------------------------------------------- time sessions
    def record_session(self, session: str, start: float, now: float) -> None:
        """Note that a worker session ran from ``start`` until ``now`` (for the time budget)."""
        self.set(_SESSION_PREFIX + session, [start, now])

    def time_used(self, except_session: str | None = None) -> float:
        """Seconds of wall time the study has run, overlapping sessions counted once."""
        intervals = sorted(
            tuple(value)
            for key, value in self.storage.get_study_system_attrs(self.study_id).items()
            if key.startswith(_SESSION_PREFIX) and key != _SESSION_PREFIX + str(except_session)
        )
        used, end = 0.0, -float("inf")
        for start, stop in intervals:
            if stop > end:
                used += stop - max(start, end)
                end = stop
        return used

    # ------------------------------------------------------------------------ ownership
    def claim(self, trial: optuna.Trial) -> None:
        """Mark ``trial`` as run by this process, so a restart here can tell it was interrupted."""
        trial.set_user_attr(OWNER, _this_process())

    def requeue_dead(self) -> list[int]:
        """Queue again the configurations of running trials whose worker has died.

        A worker is dead when its heartbeat stopped (any machine; see :mod:`flair_hpo.study.storages`) or, on this
        machine, when its process has ended. The dead trial is marked failed and superseded; its retry
        counts against the budget instead. Several workers may look at once: only one re-queues a trial.
        """
        dead = set()
        if isinstance(self.storage, BaseHeartbeat) and is_heartbeat_enabled(self.storage):
            dead |= set(self.storage._get_stale_trial_ids(self.study_id))
        running = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        for trial in running:
            owner = trial.user_attrs.get(OWNER)
            if owner is not None and owner.get("host") == socket.gethostname() and not _alive(owner):
                dead.add(trial._trial_id)
        requeued = []
        for trial in running:
            if trial._trial_id in dead and self.requeue(
                trial.number, "interrupted: its worker stopped during training"
            ):
                log.info("trial %d was interrupted; its configuration is queued again", trial.number)
                requeued.append(trial.number)
        return requeued

    def requeue(self, number: int, reason: str) -> bool:
        """Fail trial ``number`` as superseded and queue its configuration again; False if another process
        finished it first."""
        trial = next(t for t in self.study.get_trials(deepcopy=False) if t.number == number)
        record = TrialRecord.of(trial)
        try:
            self.storage.set_trial_system_attr(trial._trial_id, SUPERSEDED, True)
            self.storage.set_trial_user_attr(trial._trial_id, "error", reason)
            self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            return False
        if record.labels:
            self.study.enqueue_trial(record.labels, user_attrs={REPLICATE: record.replicate})
        return True


def _this_process() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _process_start(os.getpid())}


def _process_start(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _alive(owner: dict[str, Any]) -> bool:
    """Whether the owning process still runs (the same process, not a new one with its pid)."""
    started = _process_start(owner["pid"])
    return started is not None and abs(started - (owner.get("started") or started)) < 1.0
