"""The trial loop of one worker: ask the study for a configuration, train it, tell the study its score.

Each turn reads the study's history once: it decides whether the budget allows another trial and whether
the space has configurations left, gives the strategy what it proposes from, and is what the progress
line and the leaderboard show. The strategy reads the study once more when it claims a configuration
(another worker may have claimed the same one since), and that read also decides whether the new trial is
within a RUNS budget. One trial's turn is :class:`~flair_hpo.orchestration.trial_turn.TrialTurn`'s.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
import uuid
from collections.abc import Iterator

from flair_hpo.errors import MachineError, StudyMismatchError
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.orchestration.trial_turn import TrialTurn, Turn
from flair_hpo.policies import Move
from flair_hpo.records import keys
from flair_hpo.results.events import Listeners, SearchListener, SearchStarted, SearchStopped
from flair_hpo.results.leaderboard import LeaderboardFile
from flair_hpo.signals import raise_if_stopped, stop_reason
from flair_hpo.study import BudgetState, TrialStore
from flair_hpo.study.heartbeat import Watch
from flair_hpo.study.requeue import repair, requeue_dead
from flair_hpo.training.pruning import DATA_HALVING

log = logging.getLogger("flair_hpo")

_POLL_SECONDS = 5
# Trials in a row that another trial already held (an Optuna sampler that repeats itself): the search stops.
_SKIPS = 20
#: Trials in a row this worker's machine may fail before the worker stops (its trials go to other workers).
MACHINE_FAULTS_IN_A_ROW = 3


class SearchLoop:
    """Trains trials of the study until the budget is spent, then waits until no trial of the study runs."""

    def __init__(self, setup: SearchSetup, store: TrialStore, *, shown: list[SearchListener] | None = None) -> None:
        if store.run_settings().get("pruner") == DATA_HALVING:
            raise StudyMismatchError(
                f"the study '{store.study.study_name}' was searched with pruner=\"{DATA_HALVING}\", which is no longer "
                "offered, so it is not continued; flair-hpo show and report still read it, and a new base_path (or "
                "study name) searches again"
            )
        self.setup = setup
        self.store = store
        self.base_path = setup.settings.base_path
        if shown is None:
            shown = [ProgressDisplay(setup.objective.name, setup.search_space.max_epochs)]
        #: Who hears what the search does: what shows it to people, and the trackers the run settings ask for.
        self.listeners = Listeners([*shown, *setup.trackers()])
        self.trials = TrialTurn(setup, store, self.listeners, beat=self.note_session)
        self.leaderboard = LeaderboardFile(
            self.base_path, setup.search_space, setup.objective, setup.settings.reseeding
        )

    def run(self, train: bool = True) -> int:
        """Train trials until the budget is spent (``train=False``: only wait), then wait until no trial of
        the study runs: a dead worker's trial is queued again and trained here. Returns the trials trained.

        Raises :class:`MachineError` when this machine failed ``MACHINE_FAULTS_IN_A_ROW`` trials in a row."""
        with out_of_collectors_sight():
            return self._run(train)

    def _run(self, train: bool) -> int:
        self._session, self._session_start = uuid.uuid4().hex, self.store.clock()
        self.note_session()
        self.listeners.search_started(self._started())
        space, strategy = self.setup.search_space, self.setup.search_strategy
        budget = BudgetState.start(space, strategy, self.store.time_used(self.store.clock()))
        watch = Watch()
        trained, said, skipped, faults = 0, "", 0, 0
        try:
            while True:
                raise_if_stopped()
                reading = time.monotonic()
                history = self.store.history()
                if time.monotonic() - reading > self.store.heartbeat_interval:
                    watch.forget()  # the read waited out an outage, which may have silenced the owners too
                if requeue_dead(self.store, history, watch) or repair(self.store, history):
                    history = self.store.history()
                self.leaderboard.write(history)
                budget.refresh(self.store.time_used(self.store.clock()))  # other workers' sessions count as they run
                waiting_for_workers = False
                move = budget.next_move(space, history, self.setup.policies)
                if move is Move.SPENT:
                    done = "the budget is spent"
                elif move is Move.EXHAUSTED:
                    done = "every configuration of the search space has been tried"
                elif not train:
                    done, waiting_for_workers = "waiting for workers to train the study's trials", True
                elif skipped >= _SKIPS:
                    done = "the strategy proposes only configurations that were tried"
                elif (turn := self.trials.run(budget, history, move)) is not Turn.NOTHING_LEFT:
                    trained += turn is Turn.TRAINED
                    skipped = skipped + 1 if turn is Turn.SKIPPED else 0
                    faults = faults + 1 if turn is Turn.MACHINE_FAULT else 0
                    if faults >= MACHINE_FAULTS_IN_A_ROW:
                        raise self._failing_machine(faults)
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

    @contextlib.contextmanager
    def telling_stops(self) -> Iterator[None]:
        """A Ctrl-C or SIGTERM that unwinds the block (training, waiting or finishing) is told to the listeners
        (:meth:`~flair_hpo.results.events.SearchListener.search_stopped`), so that a tracker ends its runs."""
        try:
            yield
        except KeyboardInterrupt as stop:
            try:
                others_running = bool(self.store.history().running())  # this process's trial was queued again
            except Exception:  # the storage is out of reach: leave the study's runs as they are
                others_running = True
            self.listeners.search_stopped(SearchStopped(stop_reason(stop), others_running))
            raise

    def _started(self) -> SearchStarted:
        stored = self.store.attributes()
        return SearchStarted(
            self.store.study.study_name,
            stored.get(keys.SEARCH_SPACE, {}),
            stored.get(keys.STRATEGY, {}),
            stored.get(keys.RUN, {}),
            self.setup.objective.name,
            self.store,
        )

    def note_session(self) -> None:
        """Note in the study that this session runs until now (for the time budget of every worker)."""
        self.store.record_session(self._session, self._session_start, self.store.clock())

    def _failing_machine(self, faults: int) -> MachineError:
        fault = self.trials.last_fault
        last = " ".join(f"{type(fault).__name__}: {fault}".split())[:300]
        return MachineError(
            f"this machine failed {faults} trials in a row, whatever their configuration (last: {last}); they are "
            "queued again for other workers. Fix the machine (its disk, files, models or GPU) and run the same "
            "command again"
        )


@contextlib.contextmanager
def out_of_collectors_sight() -> Iterator[None]:
    """While a search runs, what lives at its start (the corpus, Flair, torch: some 700,000 objects with TREC_6
    and WNUT_17 loaded) is kept out of the garbage collector's sight (``gc.freeze``). Collecting a trial's
    model after the trial (``free_memory``), and Python's own full collections during training, then no
    longer walk the whole corpus: 0.3 to 0.6 s per trial with both corpora loaded, under a millisecond frozen
    (``benchmarks/gc_pause.py``). At the end it is given back (``gc.unfreeze``): what died meanwhile is
    collected then."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
