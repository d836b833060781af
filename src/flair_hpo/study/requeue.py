"""Queueing again what a dead worker was training, so that nothing is lost whenever a worker dies.

A configuration whose worker was killed while training it :data:`DEATHS_PER_CONFIGURATION` times (not for
another reason than memory, where that is known) is recorded as failed instead.
"""

from __future__ import annotations

import logging

import optuna
from optuna.trial import TrialState

from flair_hpo.records import History, TrialRecord, TrialStatus, keys, queue_notes
from flair_hpo.space import configuration_key
from flair_hpo.study.heartbeat import Watch
from flair_hpo.study.memory_kills import killed_for_memory
from flair_hpo.study.trial_store import TrialStore

log = logging.getLogger("flair_hpo")


#: Deaths of its worker while training a configuration after which the configuration is recorded as failed.
DEATHS_PER_CONFIGURATION = 2
KILLED_TWICE = "killed while training (out of memory?) twice"


def requeue_dead(store: TrialStore, history: History, watch: Watch) -> list[int]:
    """Queue again the configurations of running trials whose worker has died, or record one as failed once its
    workers died on it :data:`DEATHS_PER_CONFIGURATION` times; of several workers looking at once, one
    re-queues."""
    requeued = []
    for record in watch.dead(history.running(), store.heartbeat_interval):
        counted = killed_for_memory(record.owner) is not False
        if counted and deaths(history, record) + 1 >= DEATHS_PER_CONFIGURATION:
            if _fail(store, record, {keys.KILLED: True, keys.ERROR: KILLED_TWICE}):
                log.warning("trial %d was %s: its configuration is recorded as failed", record.number, KILLED_TWICE)
            continue
        if requeue(store, record, "interrupted: its worker stopped during training", killed=counted):
            log.info("trial %d was interrupted; its configuration is queued again", record.number)
            requeued.append(record.number)
    return requeued


def deaths(history: History, record: TrialRecord) -> int:
    """How many trials of ``record``'s configuration (any seed, any fraction) lost their worker while training."""
    key = configuration_key(record.labels)
    return sum(bool(r.user_attrs.get(keys.KILLED)) and configuration_key(r.labels) == key for r in history.records)


def requeue(store: TrialStore, record: TrialRecord, reason: str, killed: bool = False) -> bool:
    """Fail ``record``'s trial as interrupted (``killed``: counted as a death of its worker) and queue what it
    trained again; False if another process finished it first."""
    notes = {keys.ERROR: reason, **({keys.KILLED: True} if killed else {})}
    if not _fail(store, record, notes, superseded=True):
        return False
    _enqueue(store, record)
    return True


def _fail(store: TrialStore, record: TrialRecord, notes: dict[str, object], superseded: bool = False) -> bool:
    """Fail ``record``'s trial with ``notes`` (``superseded``: as interrupted); False if another finished it."""
    try:
        if superseded:
            store.storage.set_trial_system_attr(record.trial_id, keys.SUPERSEDED, True)
        for key, value in notes.items():
            store.storage.set_trial_user_attr(record.trial_id, key, value)
        store.storage.set_trial_state_values(record.trial_id, TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    return True


def repair(store: TrialStore, history: History) -> list[TrialRecord]:
    """Queue again every configuration whose trials all ended interrupted and that no trial holds."""
    groups: dict[str, list[TrialRecord]] = {}
    for record in history.records:
        if record.labels and record.status is not TrialStatus.SKIPPED:
            groups.setdefault(record.key, []).append(record)
    lost = [records[-1] for records in groups.values() if all(r.status is TrialStatus.INTERRUPTED for r in records)]
    for record in lost:
        log.info("trial %d's configuration was never trained again; it is queued again", record.number)
        _enqueue(store, record)
    return lost


def _enqueue(store: TrialStore, record: TrialRecord) -> None:
    if record.labels:
        notes = queue_notes(record.replicate, record.last_call)
        store.study.enqueue_trial(record.labels, user_attrs=notes)
