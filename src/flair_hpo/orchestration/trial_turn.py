"""One trial of a worker, as the driver opened it: train it with heartbeats, tell the study the outcome, and the
search's listeners what happened.

A configuration's failure uses a run of the budget; a machine's failure, a stop or a lost heartbeat queues the
trial again (docs/reliability.md).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import TrialState

from flair_hpo.errors import MachineError, TrialAbandoned
from flair_hpo.files import TRIALS_DIR
from flair_hpo.optuna_internals import trial_id
from flair_hpo.orchestration.admission import refused
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.records import History, TrialRecord, TrialStatus, keys, queue_notes
from flair_hpo.results.best import BestModelKeeper
from flair_hpo.results.events import BatchEnded, EpochEnded, Listeners, TrialFinished, TrialStarted
from flair_hpo.search import BudgetState, Opened
from flair_hpo.signals import stop_reason
from flair_hpo.space import Configuration
from flair_hpo.study import TrialStore
from flair_hpo.study.heartbeat import Heartbeat
from flair_hpo.study.requeue import requeue
from flair_hpo.training.faults import machine_fault, stops_the_worker
from flair_hpo.training.monitor import TrialMonitor
from flair_hpo.training.trial_runner import TrialOutcome, train_configuration

log = logging.getLogger("flair_hpo")

#: Errors of an interrupted trial that say its machine failed (the leaderboard shows them).
MACHINE_FAULT = "machine fault"
#: Processes whose machine may fail a configuration's training before it is recorded as failed.
_FAULTS_PER_CONFIGURATION = 3
#: Trials in a row this worker's machine may fail before the worker stops (its trials go to other workers).
MACHINE_FAULTS_IN_A_ROW = 3


class MachineFault(Exception):
    """A trial stopped by a fault of its machine (``__cause__`` is the fault)."""


class TrialTurn:
    """Trains the trials of one worker, one at a time, within ``budget``; ``beat`` is called while one trains."""

    def __init__(
        self, setup: SearchSetup, store: TrialStore, listeners: Listeners, beat: Callable[[], None], budget: BudgetState
    ):
        self.setup, self.store, self.listeners, self.beat, self.budget = setup, store, listeners, beat, budget
        self.base_path = setup.settings.base_path
        self.keeper = BestModelKeeper(self.base_path, setup.objective)
        self.faults = 0  # trials in a row that the machine failed

    def run(self, opened: Opened) -> bool:
        """Train the trial the driver ``opened``; whether it counts as trained. Raises :class:`MachineError`
        when this machine failed ``MACHINE_FAULTS_IN_A_ROW`` trials in a row."""
        fault = self._run(opened)
        self.faults = self.faults + 1 if fault else 0
        self.beat()
        if self.faults >= MACHINE_FAULTS_IN_A_ROW:
            last = " ".join(f"{type(fault).__name__}: {fault}".split())[:300]
            raise MachineError(
                f"this machine failed {self.faults} trials in a row, whatever their configuration (last: {last}); "
                "they are queued again for other workers. Fix the machine (its disk, files, models or GPU) and run "
                "the same command again"
            )
        return not fault

    def _run(self, opened: Opened) -> BaseException | None:
        """Train ``opened``'s trial; the fault of the machine that stopped it, if one did."""
        trial = opened.trial
        # Other workers take this trial for dead if its heartbeats stop (see flair_hpo.study.heartbeat).
        with Heartbeat(self.store.storage, trial_id(trial), self.store.heartbeat_interval, also=self.beat) as heart:
            try:
                self.store.claim(trial)
                if refused(self.store, self.setup.search_space, trial, opened.record, self._finished):
                    return None  # failed at the door: uses no budget, not the machine's fault
                self._train_and_record(opened, keep_going=lambda: not heart.lost)
            except KeyboardInterrupt as stop:  # the search stops; the next run trains this configuration again
                reason = stop_reason(stop)
                if self._requeue_if_running(trial, reason):
                    self._finished(trial, reason)
                raise
            except MachineFault as fault:
                self._after_machine_fault(trial, fault.__cause__)
                if stops_the_worker(fault.__cause__):  # a full disk: no trial can be written here; stop at once
                    raise fault.__cause__ from None
                return fault.__cause__
            except TrialAbandoned:  # its heartbeat was lost: queued again (unless another worker did), not counted
                if heart.taken_over or not self._requeue_if_running(trial, "abandoned: its heartbeat was lost"):
                    log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
                else:
                    log.warning(
                        "trial %d was abandoned (its heartbeat could not be written); queued again", trial.number
                    )
                    self._finished(trial, "abandoned: its heartbeat was lost")
            except optuna.exceptions.UpdateFinishedTrialError:
                # This worker was silent for too long (a frozen machine, a lost network): another worker
                # declared the trial dead and queued its configuration again; that retry counts instead.
                log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
        free_memory()
        return None

    def _requeue_if_running(self, trial: optuna.Trial, reason: str) -> bool:
        current = TrialRecord.of(self.store.storage.get_trial(trial_id(trial)))
        return current.status is TrialStatus.RUNNING and requeue(self.store, current, reason)

    def _finished(self, trial: optuna.Trial, detail: str, record: TrialRecord | None = None) -> None:
        """Tell the listeners that ``trial`` ended, as the study holds it now."""
        record = record or TrialRecord.of(self.store.storage.get_trial(trial_id(trial)))
        self.listeners.trial_finished(TrialFinished(record, detail))

    def _after_machine_fault(self, trial: optuna.Trial, fault: BaseException | None) -> None:
        """Queue the trial's configuration again for any worker; or, once the machines of three processes failed
        it, record it as failed (then it is most likely the configuration's fault)."""
        error = " ".join(f"{type(fault).__name__}: {fault}".split())
        current = TrialRecord.of(self.store.storage.get_trial(trial_id(trial)))
        processes = _processes_failed(self.store.history(), current)
        if len(processes) >= _FAULTS_PER_CONFIGURATION:
            trial.set_user_attr(keys.ERROR, error)
            self.store.study.tell(trial, state=TrialState.FAIL)
            self._finished(trial, f"{error} (as in {len(processes)} processes)")
            return
        self._requeue_if_running(trial, f"{MACHINE_FAULT}: {error}")
        self._finished(trial, f"the machine failed it: {error}")
        log.warning("trial %d: the machine failed it (%s); its configuration is queued again", trial.number, error)
        log.debug("trial %d's machine fault", trial.number, exc_info=fault)

    def _train_and_record(self, opened: Opened, keep_going: Callable[[], bool]) -> None:
        trial, record, budget = opened.trial, opened.record, self.budget
        labels, replicate = record.labels, record.replicate
        configuration = self.setup.configuration(labels, replicate)
        self.listeners.trial_started(_trial_started(opened, configuration.seed, budget))
        started = time.monotonic()

        def on_epoch(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            scores = monitor.last_scores
            objective = self.setup.objective
            dev_score = objective.metric_of(scores) if scores else None
            dev_loss, train_loss = scores.get(("loss",)), monitor.last_train_loss
            self.listeners.epoch_ended(EpochEnded(trial.number, epoch, value, dev_score, dev_loss, train_loss))

        def on_batch(epoch: int, batch: int, batches: int, loss: float | None) -> None:
            self.listeners.batch_ended(BatchEnded(trial.number, epoch, batch, batches, loss))

        try:
            monitor = TrialMonitor(
                self.setup.objective,
                on_epoch=on_epoch,
                deadline=budget.deadline,
                # The last call trains to the end: the pruner is not asked.
                should_prune=None if record.last_call else lambda epoch: trial.should_prune(),
                max_epochs=configuration.max_epochs,
                keep_going=keep_going,
                on_batch=on_batch,
            )
            outcome = train_configuration(
                configuration,
                self.setup.corpus,
                self.base_path / TRIALS_DIR / f"trial-{trial.number:04d}",
                label_dictionary=self.setup.label_dictionary,
                monitor=monitor,
                embedding_store=self.setup.embedding_store,
            )
        except (TrialAbandoned, optuna.exceptions.UpdateFinishedTrialError):
            raise  # not the configuration's failure: the trial was given up, or taken over
        except Exception as error:
            if machine_fault(error):
                raise MachineFault() from error
            # A failed configuration is recorded; the search goes on.
            trial.set_user_attr(keys.ERROR, f"{type(error).__name__}: {error}")
            trial.set_user_attr(keys.DURATION, time.monotonic() - started)
            self.store.study.tell(trial, state=TrialState.FAIL)
            self._finished(trial, f"{type(error).__name__}: {error}")
            log.debug("trial %d failed", trial.number, exc_info=True)  # the traceback, for the log file
            return
        noted = queue_notes(replicate, record.last_call)
        told = self._tell(trial, configuration, outcome, time.monotonic() - started, noted)
        if self.keeper.offer(told, outcome.model, configuration):
            log.info("trial %d is the best so far; its model is in %s", trial.number, self.keeper.model_path)

    def _tell(
        self, trial: optuna.Trial, configuration: Configuration, outcome: TrialOutcome, seconds: float, noted: dict
    ) -> TrialRecord:
        """Record the outcome in the study; the trial as the study now holds it."""
        attributes = {
            keys.VALUE: outcome.value,
            keys.DEV_SCORE: outcome.dev_score,
            keys.DEV_LOSS: outcome.dev_loss,
            keys.EPOCHS: outcome.epochs,
            keys.BEST_EPOCH: outcome.best_epoch,
            keys.DURATION: seconds,
            keys.STOPPED_BY_TIME_BUDGET: outcome.stopped_by_deadline,
            keys.SEED: configuration.seed,
            keys.THREADS: outcome.threads,
        }
        for key, value in attributes.items():
            trial.set_user_attr(key, value)
        status = TrialStatus.PRUNED if outcome.pruned else TrialStatus.COMPLETE
        if outcome.pruned:
            self.store.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.store.study.tell(trial, outcome.value)
        attributes.update(noted)
        record = TrialRecord(trial.number, status, dict(configuration.labels), outcome.value, attributes, None, None)
        max_epochs = self.setup.search_space.max_epochs
        stopped = f", stopped after epoch {outcome.epochs} of {max_epochs}" if outcome.pruned else ""
        self._finished(
            trial,
            f"{self.setup.objective.name} {outcome.value:.4f} (best epoch {outcome.best_epoch} of {outcome.epochs}"
            f"{stopped}) in {seconds:.1f} s",
            record,
        )
        return record


def _processes_failed(history: History, current: TrialRecord) -> set[Any]:
    """The worker processes whose machines failed a training of ``current``'s configuration, it included."""
    return {
        r.owner.get("token")
        for r in [*history.records, current]
        if r.key == current.key and r.error.startswith(MACHINE_FAULT)
    } | {current.owner.get("token")}


def free_memory() -> None:
    """Give back what the last trial's model held (GPU memory included)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _trial_started(opened: Opened, seed: int | None, budget: BudgetState) -> TrialStarted:
    """What the listeners hear when the trial ``opened`` starts to train."""
    record, history = opened.record, opened.history
    interrupted = [r.number for r in history.records if r.key == record.key and r.status is TrialStatus.INTERRUPTED]
    best = history.best()
    return TrialStarted(
        record.number,
        record.labels,
        seed,
        record.replicate,
        retry_of=interrupted[-1] if interrupted else None,
        best=(best.number, best.value) if best else None,
        budget_left=budget.left(history),
        best_labels=best.labels if best else {},
        seconds_left=budget.seconds_left(history),
        timed=budget.deadline is not None,
        statuses=history.counts(TrialStatus.COMPLETE, TrialStatus.PRUNED, TrialStatus.FAILED),
        runs_left=None if budget.deadline is not None else max(0, budget.runs - len(history.counted())),
    )
