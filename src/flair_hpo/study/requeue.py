"""Queueing again what a dead worker was training, so that nothing is lost whenever a worker dies.

A trial whose worker is gone (:class:`~flair_hpo.study.heartbeat.Watch`) is failed as *interrupted* and its
configuration queued again, with the same seed number and fraction of the training split; the retry counts
against the budget, not the dead trial. A process can die between those two steps too, so every process that
opens the study queues again any trained configuration whose every trial ended interrupted and that nothing
holds (:func:`repair`).
"""

from __future__ import annotations

import logging

import optuna
from optuna.trial import TrialState

from flair_hpo.records import History, TrialRecord, TrialStatus, keys, queue_notes
from flair_hpo.study.heartbeat import Watch
from flair_hpo.study.trial_store import TrialStore

log = logging.getLogger("flair_hpo")


def requeue_dead(store: TrialStore, history: History, watch: Watch) -> list[int]:
    """Queue again the configurations of running trials whose worker has died: gone from this machine, or
    silent for three of its heartbeat intervals. Several workers may look at once: one re-queues a trial."""
    requeued = []
    for record in watch.dead(history.running(), store.heartbeat_interval):
        if requeue(store, record, "interrupted: its worker stopped during training"):
            log.info("trial %d was interrupted; its configuration is queued again", record.number)
            requeued.append(record.number)
    return requeued


def requeue(store: TrialStore, record: TrialRecord, reason: str) -> bool:
    """Fail ``record``'s trial as interrupted and queue what it trained again; False if another process
    finished it first."""
    try:
        store.storage.set_trial_system_attr(record.trial_id, keys.SUPERSEDED, True)
        store.storage.set_trial_user_attr(record.trial_id, keys.ERROR, reason)
        store.storage.set_trial_state_values(record.trial_id, TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    _enqueue(store, record)
    return True


def repair(store: TrialStore, history: History) -> list[TrialRecord]:
    """Queue again what was lost between failing a dead trial and queueing its retry (or whose retry was
    refused): every configuration trained (with a seed, on a fraction) whose trials all ended interrupted
    and that no waiting or running trial holds."""
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
