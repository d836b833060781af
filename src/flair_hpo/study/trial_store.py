"""The Optuna study that stores every trial of a search, and what flair-hpo keeps beside it (the search space,
the strategy's settings, the corpus's fingerprint, the run settings a worker needs).

Reopening the study with anything different is refused, so a study never mixes two searches. The run settings
are stored last: a study without them is being created, or its creator died halfway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.samplers import BaseSampler
from optuna.storages import BaseStorage

from flair_hpo.errors import SearchSpaceError, StudyMismatchError
from flair_hpo.records import History, keys
from flair_hpo.space import SearchSpace
from flair_hpo.space.stored_space import read_stored_space, trusted_space
from flair_hpo.space.trust import Allowance
from flair_hpo.study.clock import storage_clock
from flair_hpo.study.heartbeat import surely_dead, this_process
from flair_hpo.study.storages import study_exists

#: Seconds a process waits for another to finish creating a study before it completes the study itself.
_CREATION_WAIT_S = 30.0

log = logging.getLogger("flair_hpo")


def stored_space(data: Any, study_name: str, allowed: Allowance | None = None) -> SearchSpace:
    """The search space the study ``study_name`` holds, rebuilt; :class:`StudyMismatchError` naming the part this
    version cannot read. With ``allowed`` (a joining worker), every option must pass this machine's checks too."""
    try:
        return read_stored_space(data) if allowed is None else trusted_space(data, allowed)
    except SearchSpaceError as problem:
        raise StudyMismatchError(
            f"the study '{study_name}' holds a search space this version cannot read: {problem}; use a new "
            "base_path or study name"
        ) from None


def _space_differences(stored: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, in the study, now) for each parameter (its dimensions) and each setting of two spaces that differ."""
    differences = []
    old_dims = {d["name"]: d for d in stored.pop("dimensions", [])}
    new_dims = {d["name"]: d for d in new.pop("dimensions", [])}
    for name in sorted(old_dims.keys() | new_dims.keys()):
        if old_dims.get(name) != new_dims.get(name):
            differences.append((name, old_dims.get(name), new_dims.get(name)))
    for key in sorted(stored.keys() | new.keys()):
        if key not in ("budget", "starts") and stored.get(key) != new.get(key):  # starts: what comes first
            differences.append((key, stored.get(key), new.get(key)))
    return differences


def _describe(name: str, before: Any, after: Any) -> str:
    if isinstance(before or after, dict) and "kind" in (before or after):  # a parameter's dimensions
        show = lambda d: "absent" if d is None else d.get("labels") or f"{d.get('low')} .. {d.get('high')}"  # noqa: E731
        return f"{name}: {show(before)} in the study, {show(after)} now"
    return f"{name}: {before!r} in the study, {after!r} now"


@dataclass
class TrialStore:
    """A study opened for searching, with its storage and flair-hpo's records."""

    study: optuna.Study
    storage: BaseStorage
    study_id: int
    created: bool
    heartbeat_interval: int = 30
    #: The study's clock (its storage's: see :mod:`flair_hpo.study.clock`), for the time budget.
    clock: Callable[[], float] = field(default=time.time, repr=False)

    @classmethod
    def open(
        cls,
        storage: BaseStorage,
        study_name: str,
        *,
        space: SearchSpace,
        strategy: dict[str, Any],
        label_type: str,
        corpus: dict[str, Any],
        sampler: BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
        run: dict[str, Any] | None = None,
    ) -> TrialStore:
        """Create the study, or reopen it after checking it was made for this very search."""
        created = False
        if not study_exists(storage, study_name):  # (asked first: a journal records even a refused creation)
            try:  # the storage decides which process creates the study (a unique name in both storages)
                optuna.create_study(storage=storage, study_name=study_name, direction=space.direction)
                created = True
            except optuna.exceptions.DuplicatedStudyError:
                pass
        study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler, pruner=pruner)
        store = cls(study, storage, storage.get_study_id_from_name(study_name), created, clock=storage_clock(storage))
        store.hold(space, strategy, label_type, corpus, run or {})
        return store

    def hold(
        self, space: SearchSpace, strategy: dict[str, Any], label_type: str, corpus: dict[str, Any], run: dict[str, Any]
    ) -> None:
        """Make the study hold this search: store it in a study this process created (or one whose creator died
        halfway), else check that it is the very search stored (:class:`StudyMismatchError` if not)."""
        if self.created:
            self._set(keys.CREATOR, this_process(int(run.get("heartbeat_interval", 30))))
            self._set(keys.FORMAT, keys.FORMAT_VERSION)
        stored = self.attributes() if self.created else self.wait_for_creator()
        name = self.study.study_name
        if stored.get(keys.FORMAT, 1) > keys.FORMAT_VERSION:
            raise StudyMismatchError(
                f"the study '{name}' was created by a newer flair-hpo (format {stored[keys.FORMAT]}); upgrade "
                "flair-hpo to continue it"
            )
        if keys.SEARCH_SPACE in stored:
            self.check_same_search(space, strategy, label_type, corpus)
        elif stored.keys() - {keys.CREATOR, keys.FORMAT}:
            raise StudyMismatchError(f"the study '{name}' was not created by flair-hpo; use another study name")
        mine = (
            (keys.SEARCH_SPACE, space.to_dict()),
            (keys.STRATEGY, strategy),
            (keys.LABEL_TYPE, label_type),
            (keys.CORPUS, corpus),
            (keys.RUN, run),  # last: workers that wait for the study start once it is there
        )
        missing = [(key, value) for key, value in mine if key not in stored]
        for key, value in missing:
            self._set(key, value)
        if missing:  # another process may have completed it at once: go on only with what is stored now
            self.check_same_search(space, strategy, label_type, corpus)
        # The heartbeat interval is the study's, set once: every process judges others by the same.
        self.heartbeat_interval = int(self.run_settings().get("heartbeat_interval", 30))

    def attributes(self) -> dict[str, Any]:
        """What flair-hpo stores with the study, as stored now."""
        return self.storage.get_study_system_attrs(self.study_id)

    def wait_for_creator(self) -> dict[str, Any]:
        """The study's attributes once its creator has stored them all; while they are incomplete, wait as long
        as the creator may still be storing them (it is not known to be dead) for up to half a minute."""
        deadline = time.monotonic() + _CREATION_WAIT_S
        while True:
            stored = self.attributes()
            creator = stored.get(keys.CREATOR)
            if keys.RUN in stored or (stored and keys.CREATOR not in stored):  # complete, or not flair-hpo's
                return stored
            if (creator and surely_dead(creator)) or time.monotonic() > deadline:
                log.info("the study '%s' was created halfway; completing it", self.study.study_name)
                return stored
            time.sleep(0.2)

    def check_same_search(
        self, space: SearchSpace, strategy: dict[str, Any], label_type: str, corpus: dict[str, Any]
    ) -> None:
        """Refuse to continue a study made for a different space, strategy, label type or corpus."""
        stored = self.storage.get_study_system_attrs(self.study_id)
        # Compared in the form this version writes, so that a study of an earlier version is continued.
        stored_dict = stored_space(stored[keys.SEARCH_SPACE], self.study.study_name).to_dict()
        differences = _space_differences(stored_dict, space.to_dict())
        checks = (
            ("strategy", keys.STRATEGY, strategy),
            ("label type", keys.LABEL_TYPE, label_type),
            ("corpus", keys.CORPUS, corpus),
        )
        differences += [(what, stored[key], now) for what, key, now in checks if key in stored and stored[key] != now]
        problems = [_describe(*difference) for difference in differences]
        if any(p.startswith("corpus:") for p in problems):
            problems.append(
                "(a corpus whose dev split is sampled at random, like TREC_6(), needs flair.set_seed(...) before it "
                "is loaded to come out the same)"
            )
        if problems:
            raise StudyMismatchError(
                f"the study '{self.study.study_name}' was created for a different search, so it is not "
                "continued; use a new base_path (or study name), or restore the original settings:\n  - "
                + "\n  - ".join(problems),
                differences,
            )

    # ---------------------------------------------------------- what flair-hpo notes on the study
    def _set(self, key: str, value: Any) -> None:
        self.storage.set_study_system_attr(self.study_id, key, value)

    def run_settings(self) -> dict[str, Any]:
        """The run settings stored with the study (what a worker elsewhere needs)."""
        return dict(self.attributes().get(keys.RUN) or {})

    def test_score_for(self, trial: int) -> float | bool | None:
        """The test score noted for the best model of trial ``trial`` (it is computed once); False if none was."""
        return self._result(keys.TEST_SCORE, trial)

    def note_test_score(self, trial: int, score: float | None) -> None:
        self._set(keys.TEST_SCORE, {"trial": trial, "score": score})

    def final_model_score_for(self, trial: int) -> float | bool | None:
        """The test score of the final model trained from trial ``trial``'s configuration; False if none was."""
        return self._result(keys.FINAL_MODEL, trial)

    def note_final_model_score(self, trial: int, score: float | None) -> None:
        self._set(keys.FINAL_MODEL, {"trial": trial, "score": score})

    def _result(self, key: str, trial: int) -> float | bool | None:
        noted = self.attributes().get(key)
        return noted["score"] if isinstance(noted, dict) and noted.get("trial") == trial else False

    def history(self) -> History:
        return History.of(self.study)

    # ----------------------------------------------------------------------- time sessions
    def record_session(self, session: str, start: float, now: float) -> None:
        """Note that a worker session ran from ``start`` until ``now`` (for the time budget)."""
        self._set(keys.SESSION_PREFIX + session, [start, now])

    def time_used(self, now: float, except_session: str | None = None) -> float:
        """Seconds of wall time the study has run, overlapping sessions counted once. A session that noted
        itself within three heartbeat intervals is taken to run until ``now`` (a worker in a long trial)."""
        recent = now - 3 * self.heartbeat_interval
        sessions = [
            value
            for key, value in self.storage.get_study_system_attrs(self.study_id).items()
            if key.startswith(keys.SESSION_PREFIX) and key != keys.SESSION_PREFIX + str(except_session)
        ]
        intervals = sorted((start, now if stop >= recent else stop) for start, stop in sessions)
        used, end = 0.0, -float("inf")
        for start, stop in intervals:
            if stop > end:
                used += stop - max(start, end)
                end = stop
        return used

    # ------------------------------------------------------------------------ liveness
    def claim(self, trial: optuna.Trial) -> None:
        """Mark ``trial`` as run by this process (see :mod:`flair_hpo.study.heartbeat`)."""
        trial.set_user_attr(keys.OWNER, this_process(self.heartbeat_interval))
