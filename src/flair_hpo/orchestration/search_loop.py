"""The trial loop of one worker: ask the study for a configuration, train it, tell the study its score.

Each turn reads the study's history once: it decides whether the budget allows another trial and whether
the space has configurations left, gives the strategy what it proposes from, and is what the progress
line and the leaderboard show. The strategy reads the study once more when it claims a configuration
(another worker may have claimed the same one since), and that read also decides whether the new trial is
within a RUNS budget.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
import uuid
from collections.abc import Callable

import optuna
from optuna.trial import TrialState

from flair_hpo.errors import MachineError, TrialAbandoned
from flair_hpo.optuna_internals import trial_id
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.results.best import BestModelKeeper
from flair_hpo.results.leaderboard import LeaderboardFile
from flair_hpo.space import Configuration
from flair_hpo.strategies import SearchStrategy
from flair_hpo.strategies.history import FRACTION, REPLICATE, SKIPPED, History, TrialRecord
from flair_hpo.study import BudgetState, TrialStore
from flair_hpo.study.heartbeat import Heartbeat, Watch
from flair_hpo.training.trial_runner import TrialOutcome, train_configuration

log = logging.getLogger("flair_hpo")

TRIALS_DIR = "trials"
_POLL_SECONDS = 5
# Trials in a row that another trial already held (an Optuna sampler that repeats itself): the search stops.
_SKIPS = 20


class SearchLoop:
    """Trains trials of the study until the budget is spent, then waits until no trial of the study runs."""

    def __init__(self, setup: SearchSetup, store: TrialStore) -> None:
        self.setup = setup
        self.store = store
        self.base_path = setup.settings.base_path
        self.keeper = BestModelKeeper(self.base_path, setup.objective)
        self.progress = ProgressDisplay(setup.objective.name, setup.search_space.max_epochs)
        self.leaderboard = LeaderboardFile(
            self.base_path, setup.search_space, setup.objective, setup.settings.reseeding
        )

    def run(self, train: bool = True) -> int:
        """Train trials until the budget is spent (``train=False``: only wait), then wait until no trial of
        the study runs: a dead worker's trial is queued again and trained here. Returns the trials trained."""
        self._session, self._session_start = uuid.uuid4().hex, time.time()
        self.note_session()
        space, strategy = self.setup.search_space, self.setup.search_strategy
        budget = BudgetState.start(space, strategy, self.store.time_used(time.time()))
        watch = Watch()
        trained, said, skipped = 0, "", 0
        try:
            while True:
                history = self.store.history()
                if self.store.requeue_dead(history, watch) or self.store.repair(history):
                    history = self.store.history()
                self.leaderboard.write(history)
                budget.refresh(self.store.time_used(time.time()))  # other workers' sessions count as they run
                waiting_for_workers = False
                move = budget.next_move(space, history, self.setup.settings.reseeding, self.setup.fidelity)
                if move == "spent":
                    done = "the budget is spent"
                elif move == "exhausted":
                    done = "every configuration of the search space has been tried"
                elif not train:
                    done, waiting_for_workers = "waiting for workers to train the study's trials", True
                elif skipped >= _SKIPS:
                    done = "the strategy proposes only configurations that were tried"
                elif (outcome := self._run_trial(budget, history, move)) is not None:
                    trained += outcome
                    skipped = 0 if outcome else skipped + 1
                    self.note_session()
                    continue
                else:
                    done = "no configuration is free now"
                if done != said:
                    log.info("%s", done)
                    said = done
                if not waiting_for_workers and not history.running():
                    break
                # Other workers' trials still run; if one of them dies, its configuration comes back.
                self.note_session()
                time.sleep(min(self.store.heartbeat_interval, _POLL_SECONDS))
        finally:
            self.note_session()
        return trained

    def note_session(self) -> None:
        """Note in the study that this session runs until now (for the time budget of every worker)."""
        self.store.record_session(self._session, self._session_start, time.time())

    # ------------------------------------------------------------------------------------- a trial
    def _run_trial(self, budget: BudgetState, history: History, move: str) -> int | None:
        """Train one trial for ``move`` (see :meth:`BudgetState.next_move`): 1 when it trained, 0 when it was
        skipped (another trial holds what it was given, or the budget filled up meanwhile), None when the
        strategy had nothing left to propose."""
        strategy = self.setup.search_strategy
        if isinstance(strategy, SearchStrategy):
            fidelity = self.setup.fidelity
            if fidelity is not None and move == "last call":
                fidelity = dataclasses.replace(fidelity, last_call=True)
            strategy.knows(history, self.setup.settings.reseeding if move == "reseed" else None, fidelity)
        study, storage = self.store.study, self.store.storage
        trial = study.ask()
        if not isinstance(strategy, SearchStrategy):
            self.setup.search_space.suggest(trial)  # an Optuna sampler chooses value by value, now
        # Other workers take this trial for dead if its heartbeats stop (see flair_hpo.study.heartbeat).
        with Heartbeat(storage, trial_id(trial), self.store.heartbeat_interval, also=self.note_session) as heart:
            try:
                self.store.claim(trial)
                opened = TrialRecord.of(storage.get_trial(trial_id(trial)))
                if not opened.labels:  # the strategy had nothing left to propose
                    self._skip(trial)
                    return None
                now = self._history_after_ask(budget, held_before=opened.key in history.taken())
                # Another worker may have taken the last run, or the same retry, between the check and ask().
                if now is not None and (now.holder(opened) or not budget.admits(now, trial.number)):
                    self._skip(trial)
                    return 0
                self._train_and_record(trial, opened, budget, history, keep_going=lambda: not heart.lost)
            except KeyboardInterrupt:  # the search stops; the next optimize() trains this configuration again
                current = TrialRecord.of(storage.get_trial(trial_id(trial)))
                if current.status == "running":
                    self.store.requeue(current, "interrupted by the user")
                raise
            except TrialAbandoned:  # its heartbeat was lost: queued again (unless another worker did), not counted
                current = TrialRecord.of(storage.get_trial(trial_id(trial)))
                if heart.taken_over or not self.store.requeue(current, "abandoned: its heartbeat was lost"):
                    log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
                else:
                    log.warning(
                        "trial %d was abandoned (its heartbeat could not be written); queued again", trial.number
                    )
            except optuna.exceptions.UpdateFinishedTrialError:
                # This worker was silent for too long (a frozen machine, a lost network): another worker
                # declared the trial dead and queued its configuration again; that retry counts instead.
                log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
        free_memory()
        return 1

    def _skip(self, trial: optuna.Trial) -> None:
        """Close a trial that trains nothing; it uses no budget, and what it was given stays free."""
        self.store.storage.set_trial_system_attr(trial_id(trial), SKIPPED, True)
        self.store.study.tell(trial, state=TrialState.FAIL)

    def _history_after_ask(self, budget: BudgetState, held_before: bool) -> History | None:
        """The study as it is now, when needed: for a RUNS budget's admission, or to tell whether another trial
        holds what this one was given (a retry queued twice); the strategy's claim read, if it made one."""
        if budget.deadline is not None and not held_before:
            return None
        strategy = self.setup.search_strategy
        claimed = strategy.claim_history() if isinstance(strategy, SearchStrategy) else None
        return claimed or self.store.history()

    def _train_and_record(
        self,
        trial: optuna.Trial,
        opened: TrialRecord,
        budget: BudgetState,
        history: History,
        keep_going: Callable[[], bool],
    ) -> None:
        labels = self.setup.search_space.suggest(trial)
        replicate, fraction = opened.replicate, opened.fraction  # the strategy's notes: which seed, how much data
        configuration = self.setup.configuration(labels, replicate)
        self.progress.trial_started(trial.number, labels, history, budget.left(history), configuration.seed, fraction)
        started = time.time()

        def on_epoch(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            self.progress.epoch_finished(trial.number, epoch, value)

        try:
            outcome = train_configuration(
                configuration,
                self.setup.corpus,
                self.setup.label_dictionary,
                self.base_path / TRIALS_DIR / f"trial-{trial.number:04d}",
                self.setup.objective,
                on_epoch=on_epoch,
                deadline=budget.deadline,
                should_prune=lambda epoch: trial.should_prune(),
                embedding_store=self.setup.embedding_store,
                train_fraction=fraction,
                keep_going=keep_going,
            )
        except (TrialAbandoned, optuna.exceptions.UpdateFinishedTrialError):
            raise  # not the configuration's failure: the trial was given up, or taken over
        except MachineError:
            raise  # nor a full disk: the search stops; its trial, still running, is queued again on resume
        except Exception as error:  # a failed configuration is recorded; the search goes on
            trial.set_user_attr("error", f"{type(error).__name__}: {error}")
            trial.set_user_attr("duration_s", time.time() - started)
            self.store.study.tell(trial, state=TrialState.FAIL)
            self.progress.trial_finished(trial.number, "failed", f"{type(error).__name__}: {error}")
            log.debug("trial %d failed", trial.number, exc_info=True)  # the traceback, for the log file
            return
        record = self._tell(
            trial, configuration, outcome, time.time() - started, {REPLICATE: replicate, FRACTION: fraction}
        )
        # Only a training on the whole training split can be the best model (a screening is not comparable).
        if fraction >= 1.0 and self.keeper.offer(record, outcome.model, configuration):
            log.info("trial %d is the best so far; its model is in %s", trial.number, self.keeper.model_path)

    def _tell(
        self, trial: optuna.Trial, configuration: Configuration, outcome: TrialOutcome, seconds: float, noted: dict
    ) -> TrialRecord:
        """Record the outcome in the study; the trial as the study now holds it."""
        attributes = {
            "value": outcome.value,
            "dev_score": outcome.dev_score,
            "dev_loss": outcome.dev_loss,
            "epochs": outcome.epochs,
            "best_epoch": outcome.best_epoch,
            "duration_s": seconds,
            "stopped_by_time_budget": outcome.stopped_by_deadline,
            "seed": configuration.seed,
        }
        for key, value in attributes.items():
            trial.set_user_attr(key, value)
        status = "pruned" if outcome.pruned else "complete"
        if outcome.pruned:
            self.store.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.store.study.tell(trial, outcome.value)
        self.progress.trial_trained(trial.number, outcome, seconds)
        attributes.update(noted)
        return TrialRecord(trial.number, status, dict(configuration.labels), outcome.value, attributes, None, None)


def free_memory() -> None:
    """Give back what the last trial's model held (GPU memory included)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
