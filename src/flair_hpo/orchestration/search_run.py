"""The orchestrator: trains the configurations a strategy proposes until the budget is spent.

Example::

    from flair_hpo import orchestrator

    result = orchestrator.Orchestrator(
        corpus=corpus, base_path="hyperopt/trec6", search_space=search_space, search_strategy=search_strategy
    ).optimize()
    print(result.best_configuration, result.model_path)

Calling :meth:`Orchestrator.optimize` again on the same ``base_path`` resumes the search.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from optuna.samplers import BaseSampler

from flair_hpo.errors import SearchSpaceError, SettingsError, StrategyError
from flair_hpo.files import TRIALS_DIR, remove_stale_temporaries
from flair_hpo.orchestration.console import LOG_FILE, SearchConsole, log_file, search_console
from flair_hpo.orchestration.finishing import Finisher
from flair_hpo.orchestration.search_loop import SearchLoop
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.orchestration.thread_plan import plan_threads
from flair_hpo.orchestration.workers import check_workers, run_workers
from flair_hpo.policies import Policies
from flair_hpo.results.outcome import OptimizationResult
from flair_hpo.search import runs_allowed
from flair_hpo.search.earlier import search_starts
from flair_hpo.search.settings import RunSettings
from flair_hpo.signals import sigterm_stops_search
from flair_hpo.space import SearchSpace
from flair_hpo.strategies import as_strategy
from flair_hpo.study import JOURNAL_FILE, TrialStore, open_storage, redact, study_name_for
from flair_hpo.tracking import check_trackers
from flair_hpo.training.corpus import check_corpus, corpus_fingerprint, reset_corpus
from flair_hpo.training.corpus_file import keep_corpus_reference
from flair_hpo.training.corpus_reference import load_corpus
from flair_hpo.training.device import check_device
from flair_hpo.training.embedding_store import store_for
from flair_hpo.training.preflight import check_models_load
from flair_hpo.training.pruning import make_pruner

log = logging.getLogger("flair_hpo")

# Files that mark a folder as a flair-hpo base_path (a study may also live in an external storage).
_MARKERS = (JOURNAL_FILE, LOG_FILE, TRIALS_DIR)


class Orchestrator:
    """Runs a search on a corpus; everything is checked here, before anything is trained or written.

    Args:
        corpus: a Flair corpus with train and dev splits (and test, for the final score), or a reference
            that workers on other machines can load too: ``{"dataset": "TREC_6"}`` or ``{"folder": ...,
            "format": "column", "columns": {...}}`` (see :mod:`flair_hpo.training.corpus_reference`).
        base_path: folder for the study, the best model, the leaderboard and the log.
        search_space: a complete ``search_spaces.TextClassifierSearchSpace`` or ``SequenceTaggerSearchSpace``.
        search_strategy: a strategy of ``search_strategies``, or any Optuna sampler.
        settings: the run settings (:class:`~flair_hpo.search.settings.RunSettings`), if made already;
            base_path and ``named_settings`` replace theirs.
        named_settings: any other setting by its name (``storage``, ``pruner``, ``storage_patience``, ...; see
            :class:`RunSettings`).
    """

    def __init__(
        self,
        corpus: Any,
        base_path: str | Path | None = None,
        search_space: SearchSpace | None = None,
        search_strategy: BaseSampler | None = None,
        *,
        settings: RunSettings | None = None,
        **named_settings: Any,
    ) -> None:
        if base_path is not None:
            named_settings["base_path"] = base_path
        if corpus is not None:  # a reference is stored for workers elsewhere; a corpus object is not
            named_settings["corpus"] = corpus if isinstance(corpus, Mapping) else None
        self.setup = _setup(corpus, search_space, search_strategy, RunSettings.of(settings, **named_settings))

    @property
    def settings(self) -> RunSettings:
        return self.setup.settings

    @property
    def base_path(self) -> Path:
        return self.setup.settings.base_path

    @property
    def corpus(self) -> Any:
        return self.setup.corpus

    @property
    def search_space(self) -> SearchSpace:
        return self.setup.search_space

    @property
    def search_strategy(self) -> BaseSampler:
        return self.setup.search_strategy

    # ----------------------------------------------------------------------------------- public
    def optimize(self, workers: int | str = 1, *, quiet: bool = False) -> OptimizationResult:
        """Train configurations until the budget is spent and no trial runs; return the best one and where its
        model is.

        Args:
            workers: how many trials train at once on this machine, each in a process of its own; ``0``
                trains nothing here and waits for workers that joined from elsewhere; ``"auto"``: as many as is
                measured to be faster.
            quiet: a line per trial, not per epoch, and no live status on a terminal.
        """
        check_workers(workers, self.settings.storage)
        if workers:
            check_models_load(self.search_space)  # before anything is written: one line for a model not here
        workers = (plan := plan_threads(self.setup, workers)).workers  # "auto" measured; this process's threads
        # The live status shows the trials trained in this process; worker processes write lines.
        with self._session(search_console(quiet=quiet, live=workers == 1)) as loop:
            store, storage = loop.store, self.settings.storage
            where = redact(storage) if isinstance(storage, str) else self.base_path
            log.info("%s study '%s' in %s", "created" if store.created else "resuming", store.study.study_name, where)
            plan.tell()
            # The space is read now (as the study's check reads it): starts added since this object was made count.
            starts = search_starts(self.search_space, self.settings)
            self.setup.policies = replace(self.setup.policies, starts=starts)
            if self.settings.corpus is not None:  # for `flair-hpo train BASE_PATH`
                keep_corpus_reference(self.base_path, self.settings.corpus)
            if workers == 1:
                loop.run()
            elif workers > 1:
                reset_corpus(self.setup.corpus)
                run_workers(self, workers, self.base_path, storage if isinstance(storage, str) else None)
            if workers != 1:
                log.info("waiting until the study's budget is spent and no trial runs")
                # After this machine's workers, train here what is left (a dead worker's trial queued again).
                loop.run(trains=workers > 1)
            result = Finisher(self.setup, store).finish()
            loop.listeners.search_finished(result)
            log.info("%s", result)
            return result

    def work(self, *, quiet: bool = False) -> int:
        """Train trials of the study until the budget is spent and no trial runs: the loop of one worker; returns
        how many trials it trained. ``quiet``: as for :meth:`optimize`."""
        check_models_load(self.search_space)
        plan = plan_threads(self.setup, 1)
        with self._session(search_console(quiet=quiet)) as loop:
            plan.tell()
            trained = loop.run()
            loop.listeners.search_finished(None)  # this worker's part is done; the creator reports the result
            return trained

    # ------------------------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def _session(self, console: contextlib.AbstractContextManager[SearchConsole]) -> Iterator[SearchLoop]:
        """The study opened, its log written, SIGTERM stopping it; a stop is told to the search's listeners."""
        with console as shown, sigterm_stops_search(), self._opened() as store, log_file(self.base_path):
            listeners = shown.listeners(self.setup.objective, self.search_space.max_epochs)
            with (loop := SearchLoop(self.setup, store, shown=listeners)).telling_stops():
                yield loop

    def open_store(self) -> TrialStore:
        """The study of this search, created or checked as :meth:`optimize` opens it (nothing is trained)."""
        setup = self.setup
        return TrialStore.open(
            open_storage(
                self.settings.storage,
                self.base_path,
                self.settings.heartbeat_interval,
                self.settings.storage_patience,
            ),
            self.settings.study_name,
            space=setup.search_space,
            strategy=setup.search_strategy.settings(),
            sampler=setup.search_strategy,
            label_type=setup.label_type,
            corpus=corpus_fingerprint(setup.corpus, setup.label_type),
            pruner=setup.pruner,
            run=self.settings.stored(),
        )

    @contextlib.contextmanager
    def _opened(self) -> Iterator[TrialStore]:
        """The study, opened after base_path is made ready; a refused search leaves no base_path behind."""
        made = not self.base_path.exists()
        try:
            _prepare_base_path(self.base_path)
            store = self.open_store()
        except BaseException:
            if made and self.base_path.is_dir() and not any(self.base_path.iterdir()):
                self.base_path.rmdir()
            raise
        yield store

    def with_storage(self, storage: str | None) -> Orchestrator:
        """This orchestrator with another storage URL (a worker process is given it in its environment)."""
        orchestrator = Orchestrator.__new__(Orchestrator)
        orchestrator.setup = SearchSetup.__new__(SearchSetup)
        orchestrator.setup.__setstate__(self.setup.__getstate__())
        orchestrator.setup.settings = self.settings.replace(storage=storage)
        return orchestrator

    def __getstate__(self) -> dict[str, Any]:
        # The storage URL may hold a password: workers get it in their environment, not in a file.
        return {"setup": self.with_storage(None).setup}


def _prepare_base_path(base_path: Path) -> None:
    """Create base_path; refuse a folder that holds something other than a search, or one that cannot be made."""
    foreign = not any((base_path / marker).exists() for marker in _MARKERS)
    if base_path.is_dir() and any(base_path.iterdir()) and foreign:
        raise SettingsError(
            f"base_path {base_path} is a folder with other files in it; give a new or empty "
            "folder (or one of an earlier flair-hpo search to resume it)"
        )
    try:
        base_path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"base_path {base_path} cannot be made: {error.strerror or error}") from None
    if not os.access(base_path, os.W_OK):
        raise SettingsError(f"base_path {base_path} cannot be written to")
    remove_stale_temporaries(base_path)


def _setup(corpus: Any, space: SearchSpace, strategy: BaseSampler, settings: RunSettings) -> SearchSetup:
    """Check the search's parts against each other; everything a trial needs, or an error naming the problem."""
    if not isinstance(space, SearchSpace):
        raise SearchSpaceError(f"search_space must be a SearchSpace, not {type(space).__name__}")
    if not isinstance(strategy, BaseSampler):
        raise StrategyError(
            f"search_strategy must be GridSearch, RandomSearch, EvolutionarySearch or an Optuna sampler, "
            f"not {strategy!r}"
        )
    strategy = as_strategy(strategy)
    settings = settings.replace(study_name=study_name_for(settings.storage, settings.base_path, settings.study_name))
    if strategy.search_space not in (None, space):
        raise StrategyError("the search strategy was made for a different search space")
    strategy.make_configurations(space)
    runs_allowed(space, strategy)  # a GENERATIONS budget needs a strategy with generations
    check_device(space)
    check_trackers(settings)
    store = store_for(settings.embedding_store)  # checks the cache's environment variables, before any download
    if settings.corpus is not None:
        corpus = load_corpus(settings.corpus)
    label_type = check_corpus(corpus, space)
    pruner = make_pruner(settings.pruner, space.max_epochs)
    policies = Policies(settings.reseeding, tuple(space.starts))
    return SearchSetup(corpus, label_type, space, strategy, settings, pruner, store, policies)
