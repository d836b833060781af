"""The trial loop of one worker: ask the study for a configuration, train it, tell the study its score.

Each turn reads the study's history once: it decides whether the budget allows another trial and whether
the space has configurations left, gives the strategy what it proposes from, and is what the progress
line and the leaderboard show. The strategy reads the study once more when it claims a configuration
(another worker may have claimed the same one since), and that read also decides whether the new trial is
within a RUNS budget.
"""

from __future__ import annotations

import gc
import logging
import time
import uuid

import optuna
from optuna.storages._heartbeat import get_heartbeat_thread
from optuna.trial import TrialState

from flair_hpo.optuna_internals import trial_id, user_attrs
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.results.best import BestModelKeeper
from flair_hpo.results.leaderboard import LEADERBOARD, leaderboard_rows, write_leaderboard
from flair_hpo.space import Configuration
from flair_hpo.strategies import SearchStrategy, nothing_left
from flair_hpo.strategies.history import FRACTION, REPLICATE, SKIPPED, History, TrialRecord
from flair_hpo.study import BudgetState, TrialStore
from flair_hpo.training.trial_runner import TrialOutcome, train_configuration

log = logging.getLogger("flair_hpo")

TRIALS_DIR = "trials"
_POLL_SECONDS = 5


class SearchLoop:
    """Trains trials of the study until the budget is spent, then waits until no trial of the study runs."""

    def __init__(self, setup: SearchSetup, store: TrialStore) -> None:
        self.setup = setup
        self.store = store
        self.base_path = setup.settings.base_path
        self.keeper = BestModelKeeper(self.base_path, setup.objective)
        self.progress = ProgressDisplay(setup.objective.name, setup.search_space.max_epochs)
        self._shown: tuple | None = None  # what the leaderboard file shows

    def run(self, train: bool = True) -> int:
        """Train trials until the budget is spent (``train=False``: only wait), then wait until no trial of
        the study runs: a dead worker's trial is queued again and trained here. Returns the trials trained."""
        session, session_start = uuid.uuid4().hex, time.time()
        budget = BudgetState.start(self.setup.search_space, self.setup.search_strategy, self.store.time_used())
        trained, said = 0, ""
        try:
            while True:
                self.store.requeue_dead()
                history = self.store.history()
                self.write_leaderboard(history)
                waiting_for_workers = False
                move = budget.next_move(
                    self.setup.search_space, history, self.setup.settings.reseeding, self.setup.fidelity
                )
                if move == "spent":
                    done = "the budget is spent"
                elif move == "exhausted":
                    done = "every configuration of the search space has been tried"
                elif not train:
                    done, waiting_for_workers = "waiting for workers to train the study's trials", True
                elif self._run_trial(budget, history, reseed=move == "reseed"):
                    trained += 1
                    self.store.record_session(session, session_start, time.time())
                    continue
                else:
                    done = "no configuration is free now"
                if done != said:
                    log.info("%s", done)
                    said = done
                if not waiting_for_workers and not history.running():
                    break
                # Other workers' trials still run; if one of them dies, its configuration comes back.
                time.sleep(min(self.setup.settings.heartbeat_interval, _POLL_SECONDS))
        finally:
            self.store.record_session(session, session_start, time.time())
        return trained

    def write_leaderboard(self, history: History) -> None:
        """Write ``leaderboard.csv`` from ``history`` when it changed since the last write."""
        shown = tuple((r.number, r.status, r.value) for r in history.records)
        if shown == self._shown:
            return
        rows = leaderboard_rows(history, self.setup.search_space, self.setup.objective, self.setup.settings.reseeding)
        write_leaderboard(self.base_path / LEADERBOARD, rows)
        self._shown = shown

    # ------------------------------------------------------------------------------------- a trial
    def _run_trial(self, budget: BudgetState, history: History, reseed: bool) -> bool:
        """Train one trial (a finalist with a further seed when ``reseed``); False when the strategy had
        nothing left to propose."""
        strategy = self.setup.search_strategy
        if isinstance(strategy, SearchStrategy):
            strategy.knows(history, self.setup.settings.reseeding if reseed else None, self.setup.fidelity)
        study, storage = self.store.study, self.store.storage
        trial = study.ask()
        # Other workers take this trial for dead if its heartbeats stop (see flair_hpo.study.storages).
        with get_heartbeat_thread(trial_id(trial), storage):
            try:
                self.store.claim(trial)
                # Another worker may have taken the last run between the budget check and ask().
                if nothing_left(study, trial) or not budget.admits(self._history_after_ask(budget), trial.number):
                    storage.set_trial_system_attr(trial_id(trial), SKIPPED, True)
                    study.tell(trial, state=TrialState.FAIL)
                    return False
                self._train_and_record(trial, budget, history)
            except KeyboardInterrupt:  # the search stops; the next optimize() trains this configuration again
                if storage.get_trial(trial_id(trial)).state == TrialState.RUNNING:
                    self.store.requeue(trial.number, "interrupted by the user")
                raise
            except optuna.exceptions.UpdateFinishedTrialError:
                # This worker was silent for too long (a frozen machine, a lost network): another worker
                # declared the trial dead and queued its configuration again; that retry counts instead.
                log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
        free_memory()
        return True

    def _history_after_ask(self, budget: BudgetState) -> History | None:
        """The study as it is now, for a RUNS budget's admission (the strategy's claim read, if it made one)."""
        if budget.deadline is not None:
            return None
        strategy = self.setup.search_strategy
        claimed = strategy.claim_history() if isinstance(strategy, SearchStrategy) else None
        return claimed or self.store.history()

    def _train_and_record(self, trial: optuna.Trial, budget: BudgetState, history: History) -> None:
        labels = self.setup.search_space.suggest(trial)
        noted = user_attrs(self.store.study, trial)  # the strategy's notes: which seed, how much data
        replicate, fraction = noted.get(REPLICATE, 0), noted.get(FRACTION, 1.0)
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
            )
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
        max_epochs = self.setup.search_space.max_epochs
        stopped = f", stopped after epoch {outcome.epochs} of {max_epochs}" if outcome.pruned else ""
        self.progress.trial_finished(
            trial.number,
            status,
            f"{self.setup.objective.name} {outcome.value:.4f} (best epoch {outcome.best_epoch} of {outcome.epochs}"
            f"{stopped}) in {seconds:.1f} s",
        )
        attributes.update(noted)
        return TrialRecord(trial.number, status, dict(configuration.labels), outcome.value, attributes, None, None)


def free_memory() -> None:
    """Give back what the last trial's model held (GPU memory included)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
