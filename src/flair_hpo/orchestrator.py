"""The orchestrator: trains the configurations a strategy proposes until the budget is spent.

Data flows one way: the search space defines the configurations, the strategy proposes one (as the
study's sampler), :mod:`flair_hpo.trial_runner` builds and trains the Flair model and scores it on dev,
the score goes to the Optuna study, and :mod:`flair_hpo.results` writes what a person reads.

Example::

    from flair_hpo import orchestrator

    result = orchestrator.Orchestrator(
        corpus=corpus, base_path="hyperopt/trec6", search_space=search_space, search_strategy=search_strategy
    ).optimize()
    print(result.best_configuration, result.model_path)

Calling :meth:`Orchestrator.optimize` again on the same ``base_path`` resumes the search: finished trials
are kept, a trial that was interrupted is trained again, and the budget counts what is already done.

Workers on other machines join the study with :func:`flair_hpo.joining.join_study` (``flair-hpo worker``):
everything they need is stored in the study when it is created.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import get_heartbeat_thread
from optuna.trial import TrialState

from flair_hpo.budget import BudgetState
from flair_hpo.configuration import Configuration, configuration_seed
from flair_hpo.corpus_checks import check_corpus, corpus_fingerprint, label_dictionary
from flair_hpo.corpus_loading import check_corpus_section, load_corpus
from flair_hpo.embedding_store import STORE_DIR, EmbeddingStore
from flair_hpo.errors import InputError
from flair_hpo.files import remove_stale_temporaries
from flair_hpo.history import SKIPPED, TrialRecord
from flair_hpo.progress import ProgressDisplay
from flair_hpo.pruning import make_pruner
from flair_hpo.results import (
    BEST_CONFIGURATION,
    BEST_MODEL,
    FINAL_MODEL,
    LEADERBOARD,
    OptimizationResult,
    leaderboard_rows,
    locked,
    save_model,
    write_best_configuration,
    write_leaderboard,
)
from flair_hpo.scoring import Objective
from flair_hpo.search_spaces import SearchSpace, SearchSpaceError
from flair_hpo.search_strategies import SearchStrategy, nothing_left
from flair_hpo.storages import HEARTBEAT_INTERVAL, JOURNAL_FILE, open_storage, redact
from flair_hpo.trial_runner import served_embeddings, train_configuration, train_final_model
from flair_hpo.trial_store import DEFAULT_STUDY_NAME, TrialStore
from flair_hpo.workers import check_workers, run_workers

log = logging.getLogger("flair_hpo")

LOG_FILE = "flair-hpo.log"
TRIALS_DIR = "trials"
_POLL_SECONDS = 5
_TEST_SCORE = "flair_hpo:test_score"
_FINAL_MODEL = "flair_hpo:final_model"
# Files that mark a folder as a flair-hpo base_path (a study may also live in an external storage).
_MARKERS = (JOURNAL_FILE, LOG_FILE)


class Orchestrator:
    """Runs a search on a corpus.

    Args:
        corpus: a Flair corpus with train and dev splits (and test, for the final score), or a reference to
            one that workers on other machines can load too: ``{"dataset": "TREC_6"}`` (any class of
            ``flair.datasets``, with ``"args"``) or ``{"folder": ..., "format": "column", "columns": {...}}``
            (see :mod:`flair_hpo.corpus_loading`).
        base_path: folder for the study, the best model, the leaderboard and the log.
        search_space: a complete :class:`~flair_hpo.search_spaces.SearchSpace`.
        search_strategy: a :class:`~flair_hpo.search_strategies.SearchStrategy`.
        storage: an Optuna storage URL or object; by default a journal file in ``base_path``.
        study_name: the study's name in the storage.
        pruner: how hopeless trials are stopped early: ``"auto"``, ``"successive_halving"``,
            ``"hyperband"``, ``"median"``, ``"none"`` or an Optuna pruner (see :mod:`flair_hpo.pruning`).
        embedding_store: compute frozen embeddings once per study in ``base_path/embeddings`` and serve
            them to every trial (see :mod:`flair_hpo.embedding_store`); ``False`` computes them per trial.
        final_model: after the search, train the best configuration on train + dev for all its epochs and
            save it as ``base_path/final-model.pt`` with its test score.
        heartbeat_interval: seconds between the heartbeats of a running trial; a trial silent for three
            intervals is taken for dead and its configuration is trained again (see :mod:`flair_hpo.storages`).

    Everything is checked here, before anything is trained or written: a bad search space, strategy,
    corpus, label type or ``base_path`` raises an error that says what to change.
    """

    def __init__(
        self,
        corpus: Any,
        base_path: str | Path,
        search_space: SearchSpace,
        search_strategy: SearchStrategy,
        storage: str | BaseStorage | None = None,
        study_name: str = DEFAULT_STUDY_NAME,
        pruner: str | optuna.pruners.BasePruner | None = "auto",
        embedding_store: bool = True,
        final_model: bool = False,
        heartbeat_interval: int = HEARTBEAT_INTERVAL,
    ) -> None:
        if not isinstance(search_space, SearchSpace):
            raise SearchSpaceError(f"search_space must be a SearchSpace, not {type(search_space).__name__}")
        if not isinstance(search_strategy, SearchStrategy):
            raise SearchSpaceError(
                f"search_strategy must be GridSearch, RandomSearch or EvolutionarySearch, not {search_strategy!r}"
            )
        if search_strategy.search_space not in (None, search_space):
            raise SearchSpaceError("the search strategy was made for a different search space")
        search_strategy.make_configurations(search_space)
        if not isinstance(study_name, str) or not study_name:
            raise InputError(f"study_name must be a non-empty string, not {study_name!r}")
        if not isinstance(base_path, str | Path) or not str(base_path):
            raise InputError(f"base_path must be a folder path, not {base_path!r}")
        self.base_path = Path(base_path)
        if self.base_path.exists() and not self.base_path.is_dir():
            raise InputError(f"base_path {self.base_path} is a file; give a folder")
        if isinstance(heartbeat_interval, bool) or not isinstance(heartbeat_interval, int) or heartbeat_interval < 1:
            raise InputError(f"heartbeat_interval must be a positive number of seconds, not {heartbeat_interval!r}")
        self.heartbeat_interval = heartbeat_interval
        self.corpus_reference = check_corpus_section(corpus) if isinstance(corpus, Mapping) else None
        self.corpus = load_corpus(self.corpus_reference) if self.corpus_reference else corpus
        self.search_space = search_space
        self.search_strategy = search_strategy
        if storage is not None and not isinstance(storage, str | BaseStorage):
            raise InputError(f"storage must be an Optuna storage URL or storage object, not {storage!r}")
        self.storage = storage
        self.study_name = study_name
        self.label_type = check_corpus(self.corpus, search_space)
        self.objective = Objective.of(search_space)
        # A pruner object cannot be stored with the study; workers elsewhere are then given it by hand.
        self.pruner_setting = "none" if pruner is None else pruner if isinstance(pruner, str) else None
        self.pruner = make_pruner(pruner, search_space.max_epochs)
        if not isinstance(embedding_store, bool):
            raise InputError(f"embedding_store must be True or False, not {embedding_store!r}")
        self.embedding_store = EmbeddingStore(self.base_path / STORE_DIR) if embedding_store else None
        if not isinstance(final_model, bool):
            raise InputError(f"final_model must be True or False, not {final_model!r}")
        self.final_model = final_model

    # ----------------------------------------------------------------------------------- public
    def optimize(self, workers: int = 1) -> OptimizationResult:
        """Train configurations until the budget is spent; return the best one and where its model is.

        Args:
            workers: how many trials train at once on this machine, each in a process of its own (one per GPU
                where there are GPUs; on CPUs the cores are shared out). They share the study and the
                embedding store. ``0`` trains nothing here: the study is created (or opened) and this process
                waits for workers that joined it from elsewhere (``flair-hpo worker``), then reports.

        Whatever the number, the result is written once no trial of the study runs any more (trials of other
        machines included) and the budget is spent.
        """
        check_workers(workers, self.storage)
        self._prepare_base_path()
        with self._quiet_console():
            store = self._open_store()
            with self._log_file():
                where = redact(self.storage) if isinstance(self.storage, str) else self.base_path
                log.info("%s study '%s' in %s", "created" if store.created else "resuming", self.study_name, where)
                store.requeue_dead()
                if workers == 1:
                    self._search(store)
                elif workers > 1:
                    run_workers(self, workers)
                if workers != 1:
                    log.info("waiting until the study's budget is spent and no trial runs")
                    self._search(store, train=False)
                result = self._finish(store)
                log.info("%s", result)
                return result

    def work(self) -> int:
        """Train trials of the study until the budget is spent and no trial runs: the loop of one worker.

        Returns how many trials this worker trained.
        """
        self.base_path.mkdir(parents=True, exist_ok=True)
        with self._quiet_console():
            store = self._open_store()
            with self._log_file():
                return self._search(store)

    def run_settings(self) -> dict[str, Any]:
        """What a worker elsewhere needs besides the search space and strategy (stored with the study)."""
        corpus = self.corpus_reference
        if corpus and "folder" in corpus:  # workers elsewhere start in other folders
            corpus = {**corpus, "folder": str(Path(corpus["folder"]).resolve())}
        return {
            "corpus": corpus,
            "base_path": str(self.base_path.resolve()),
            "pruner": self.pruner_setting,
            "embedding_store": self.embedding_store is not None,
            "final_model": self.final_model,
            "heartbeat_interval": self.heartbeat_interval,
        }

    def _open_store(self) -> TrialStore:
        return TrialStore.open(
            open_storage(self.storage, self.base_path, self.heartbeat_interval),
            self.study_name,
            self.search_space,
            self.search_strategy,
            self.label_type,
            corpus_fingerprint(self.corpus, self.label_type),
            self.pruner,
            self.run_settings(),
        )

    # ---------------------------------------------------------------------------------- search
    def _search(self, store: TrialStore, train: bool = True) -> int:
        """Train trials until the budget is spent (``train=False``: only wait), then wait until no trial of
        the study runs: a dead worker's trial is queued again and trained here. Returns the trials trained."""
        session, session_start = uuid.uuid4().hex, time.time()
        kind, amount = self.search_space.budget
        budget = BudgetState.start(
            kind,
            amount,
            self.search_strategy.budget_runs(),
            store.time_used(),
            getattr(self.search_strategy, "population_size", None),
        )
        progress = ProgressDisplay(self.objective.name, self.search_space.max_epochs, store.history, budget.left)
        dictionary = label_dictionary(self.corpus, self.label_type)
        trained, said = 0, ""
        try:
            while True:
                store.requeue_dead()
                history = store.history()
                waiting_for_workers = False
                if not budget.allows_new_trial(history):
                    done = "the budget is spent"
                elif not self.search_strategy.has_remaining(history):
                    done = "every configuration of the search space has been tried"
                elif not train:
                    done, waiting_for_workers = "waiting for workers to train the study's trials", True
                elif self._run_trial(store, budget, progress, dictionary):
                    trained += 1
                    store.record_session(session, session_start, time.time())
                    continue
                else:
                    done = "no configuration is free now"
                if done != said:
                    log.info("%s", done)
                    said = done
                if not waiting_for_workers and not history.running():
                    break
                # Other workers' trials still run; if one of them dies, its configuration comes back.
                time.sleep(min(self.heartbeat_interval, _POLL_SECONDS))
        finally:
            store.record_session(session, session_start, time.time())
        return trained

    def _run_trial(self, store: TrialStore, budget: BudgetState, progress: ProgressDisplay, dictionary: Any) -> bool:
        """Train one trial; False when the strategy had nothing left to propose."""
        trial = store.study.ask()
        # Other workers take this trial for dead if its heartbeats stop (see flair_hpo.storages).
        with get_heartbeat_thread(trial._trial_id, store.storage):
            try:
                store.claim(trial)
                # Another worker may have taken the last run between the budget check and ask().
                if nothing_left(store.study, trial) or not budget.admits(store.history(), trial.number):
                    store.storage.set_trial_system_attr(trial._trial_id, SKIPPED, True)
                    store.study.tell(trial, state=TrialState.FAIL)
                    return False
                self._train_and_record(store, trial, budget, progress, dictionary)
            except KeyboardInterrupt:  # the search stops; the next optimize() trains this configuration again
                if store.storage.get_trial(trial._trial_id).state == TrialState.RUNNING:
                    store.requeue(trial.number, "interrupted by the user")
                raise
            except optuna.exceptions.UpdateFinishedTrialError:
                # This worker was silent for too long (a frozen machine, a lost network): another worker
                # declared the trial dead and queued its configuration again; that retry counts instead.
                log.warning("trial %d was taken for dead by another worker; its result is dropped", trial.number)
        self._free_memory()
        self._write_leaderboard(store)
        return True

    def _train_and_record(
        self, store: TrialStore, trial: optuna.Trial, budget: BudgetState, progress: ProgressDisplay, dictionary: Any
    ) -> None:
        configuration = self._configuration(self.search_space.suggest(trial))
        progress.trial_started(trial.number, configuration.labels)
        started = time.time()

        def on_epoch(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            progress.epoch_finished(trial.number, epoch, value)

        def should_prune(epoch: int) -> bool:
            return epoch < configuration.max_epochs and trial.should_prune()

        try:
            outcome = train_configuration(
                configuration,
                self.corpus,
                dictionary,
                self.base_path / TRIALS_DIR / f"trial-{trial.number:04d}",
                self.objective,
                on_epoch=on_epoch,
                deadline=budget.deadline,
                should_prune=should_prune,
                embedding_store=self.embedding_store,
            )
        except Exception as error:  # a failed configuration is recorded; the search goes on
            trial.set_user_attr("error", f"{type(error).__name__}: {error}")
            trial.set_user_attr("duration_s", time.time() - started)
            store.study.tell(trial, state=TrialState.FAIL)
            progress.trial_finished(trial.number, "failed", f"{type(error).__name__}: {error}")
            log.debug("trial %d failed", trial.number, exc_info=True)  # the traceback, for the log file
            return
        for key, value in {
            "value": outcome.value,
            "dev_score": outcome.dev_score,
            "dev_loss": outcome.dev_loss,
            "epochs": outcome.epochs,
            "best_epoch": outcome.best_epoch,
            "duration_s": time.time() - started,
            "stopped_by_time_budget": outcome.stopped_by_deadline,
        }.items():
            trial.set_user_attr(key, value)
        status = "pruned" if outcome.pruned else "complete"
        if outcome.pruned:
            store.study.tell(trial, state=TrialState.PRUNED)
        else:
            store.study.tell(trial, outcome.value)
        stopped = f"stopped after epoch {outcome.epochs} of {configuration.max_epochs}" if outcome.pruned else ""
        progress.trial_finished(
            trial.number,
            status,
            f"{self.objective.name} {outcome.value:.4f} (best epoch {outcome.best_epoch} of {outcome.epochs}"
            f"{', ' + stopped if stopped else ''}) in {time.time() - started:.1f} s",
        )
        self._keep_if_best(store, trial.number, outcome.model, configuration)

    def _configuration(self, labels: dict[str, Any]) -> Configuration:
        """The configuration of ``labels``, with a seed derived from it: training the same configuration
        again (after a crash, or with ``flair-hpo train``) reproduces its model."""
        return Configuration.from_labels(self.search_space, labels, self.label_type, configuration_seed(labels))

    # --------------------------------------------------------------------------------- results
    def _keep_if_best(self, store: TrialStore, number: int, model: Any, configuration: Configuration) -> None:
        """Write the model and its configuration if trial ``number`` is the best of the study."""
        with locked(self.base_path):
            best = store.history().best()
            if best is None or best.number != number:
                return
            save_model(model, self.base_path / BEST_MODEL)
            write_best_configuration(self.base_path / BEST_CONFIGURATION, configuration, best, self.objective, None)
            log.info("trial %d is the best so far; its model is in %s", number, self.base_path / BEST_MODEL)

    def _write_leaderboard(self, store: TrialStore) -> None:
        rows = leaderboard_rows(store.history(), self.search_space, self.objective)
        with locked(self.base_path):
            write_leaderboard(self.base_path / LEADERBOARD, rows)

    def _finish(self, store: TrialStore) -> OptimizationResult:
        """Make sure best-model.pt is the best trial's, score it once on test, write the final files."""
        self._write_leaderboard(store)
        history = store.history()
        best = history.best()
        counts = {
            status: sum(r.status == status for r in history.records) for status in ("complete", "failed", "pruned")
        }
        if best is None:
            return OptimizationResult(
                {},
                self.objective.name,
                None,
                None,
                None,
                None,
                None,
                self.base_path / LEADERBOARD,
                counts,
                base_path=self.base_path,
                storage=self._storage_url(),
                study_name=self.study_name,
            )
        configuration = self._configuration(best.labels)
        self._restore_best_model(best, configuration)
        test_score = self._test_score(store, best, configuration)
        final_test_score = self._final_model(store, best, configuration) if self.final_model else None
        with locked(self.base_path):
            write_best_configuration(
                self.base_path / BEST_CONFIGURATION, configuration, best, self.objective, test_score, final_test_score
            )
        return OptimizationResult(
            best_configuration=dict(best.labels),
            objective=self.objective.name,
            dev_score=best.value,
            test_score=test_score,
            best_trial=best.number,
            model_path=self.base_path / BEST_MODEL,
            configuration_path=self.base_path / BEST_CONFIGURATION,
            leaderboard_path=self.base_path / LEADERBOARD,
            trials=counts,
            final_model_path=self.base_path / FINAL_MODEL if self.final_model else None,
            final_test_score=final_test_score,
            base_path=self.base_path,
            storage=self._storage_url(),
            study_name=self.study_name,
        )

    def _restore_best_model(self, best: TrialRecord, configuration: Configuration) -> None:
        """Retrain the best configuration if a crash lost its weights (its seed reproduces them)."""
        import yaml

        path = self.base_path / BEST_CONFIGURATION
        saved = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        if saved and saved["result"]["trial"] == best.number and (self.base_path / BEST_MODEL).exists():
            return
        log.warning(
            "the weights of the best trial %d are not in %s (trained on another machine, or lost in a crash); "
            "training it again from its seed",
            best.number,
            self.base_path,
        )
        outcome = train_configuration(
            configuration,
            self.corpus,
            label_dictionary(self.corpus, self.label_type),
            self.base_path / TRIALS_DIR / f"trial-{best.number:04d}-again",
            self.objective,
            embedding_store=self.embedding_store,
        )
        with locked(self.base_path):
            save_model(outcome.model, self.base_path / BEST_MODEL)

    def _final_model(self, store: TrialStore, best: TrialRecord, configuration: Configuration) -> float | None:
        """Train the best configuration on train + dev (once per best trial); its test score."""
        done = store.get(_FINAL_MODEL)
        if done and done["trial"] == best.number and (self.base_path / FINAL_MODEL).exists():
            return done["score"]
        log.info("training the final model: trial %d's configuration on train + dev", best.number)
        model = train_final_model(
            configuration,
            self.corpus,
            label_dictionary(self.corpus, self.label_type),
            self.base_path / TRIALS_DIR / "final-model",
            self.embedding_store,
        )
        with locked(self.base_path):
            save_model(model, self.base_path / FINAL_MODEL)
        score = None
        if self.corpus.test is not None and len(self.corpus.test) > 0:
            with served_embeddings(self.embedding_store, model, self.corpus):
                score = self.objective.test_score(model, configuration, self.corpus.test)
        store.set(_FINAL_MODEL, {"trial": best.number, "score": score})
        log.info("final model saved to %s (test %s)", self.base_path / FINAL_MODEL, score)
        del model
        self._free_memory()
        return score

    def _test_score(self, store: TrialStore, best: TrialRecord, configuration: Configuration) -> float | None:
        """The best model's score on the test split, computed once per best trial."""
        if self.corpus.test is None or len(self.corpus.test) == 0:
            return None
        cached = store.get(_TEST_SCORE)
        if cached and cached["trial"] == best.number:
            return cached["score"]
        from flair.models import SequenceTagger, TextClassifier

        model_class = TextClassifier if configuration.document_embeddings else SequenceTagger
        # A loaded model's embeddings record other arguments (and Flair renames stacked ones), so they
        # would not match their store entries: the test split is embedded here, once.
        model = model_class.load(self.base_path / BEST_MODEL)
        score = self.objective.test_score(model, configuration, self.corpus.test)
        store.set(_TEST_SCORE, {"trial": best.number, "score": score})
        del model
        self._free_memory()
        return score

    # ------------------------------------------------------------------------------ plumbing
    def _storage_url(self) -> str | None:
        return self.storage if isinstance(self.storage, str) else None

    def _prepare_base_path(self) -> None:
        """Create base_path; refuse a folder that holds something other than a flair-hpo search."""
        foreign = not any((self.base_path / marker).exists() for marker in _MARKERS)
        if self.base_path.is_dir() and any(self.base_path.iterdir()) and foreign:
            raise InputError(
                f"base_path {self.base_path} is a folder with other files in it; give a new or empty "
                "folder (or one of an earlier flair-hpo search to resume it)"
            )
        self.base_path.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.base_path)

    @contextlib.contextmanager
    def _quiet_console(self) -> Iterator[None]:
        """Show flair-hpo's progress lines only: Flair's console log, its progress bars and Optuna's
        messages are quieted during a search (each trial's training.log keeps Flair's full log)."""
        from flair.file_utils import Tqdm

        flair_console = [h for h in logging.getLogger("flair").handlers if not isinstance(h, logging.FileHandler)]
        levels = [h.level for h in flair_console]
        optuna_verbosity = optuna.logging.get_verbosity()
        progress_bar = Tqdm.tqdm
        for h in flair_console:
            h.setLevel(logging.WARNING)
        optuna.logging.set_verbosity(logging.WARNING)
        Tqdm.tqdm = staticmethod(lambda *args, **kwargs: progress_bar(*args, **{**kwargs, "disable": True}))
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*GradScaler.*", category=FutureWarning)
                # flair-hpo runs its own trial loop (ask and tell) with Optuna's heartbeat thread.
                warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
                yield
        finally:
            Tqdm.tqdm = staticmethod(progress_bar)
            for h, level in zip(flair_console, levels, strict=True):
                h.setLevel(level)
            optuna.logging.set_verbosity(optuna_verbosity)

    @contextlib.contextmanager
    def _log_file(self) -> Iterator[None]:
        """Copy flair-hpo's log lines to base_path/flair-hpo.log."""
        handler = logging.FileHandler(self.base_path / LOG_FILE, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler.setLevel(logging.DEBUG)
        log.addHandler(handler)
        try:
            yield
        finally:
            log.removeHandler(handler)
            handler.close()

    @staticmethod
    def _free_memory() -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
