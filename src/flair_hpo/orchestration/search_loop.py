"""The search loop of one worker: the one loop (:mod:`flair_hpo.search.loop`) with a real search's duties
(queueing dead workers' trials again, the leaderboard, heartbeats, listeners)."""

from __future__ import annotations

import contextlib
import gc
import time
import uuid
from collections.abc import Iterator

from flair_hpo.errors import StudyMismatchError
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.orchestration.trial_turn import TrialTurn
from flair_hpo.records import History, keys
from flair_hpo.results.events import Listeners, SearchListener, SearchStarted, SearchStopped
from flair_hpo.results.leaderboard import LeaderboardFile
from flair_hpo.search import Driver, Loop
from flair_hpo.signals import raise_if_stopped, stop_reason
from flair_hpo.study import TrialStore
from flair_hpo.study.heartbeat import Watch
from flair_hpo.study.requeue import repair, requeue_dead
from flair_hpo.training.pruning import DATA_HALVING

_POLL_SECONDS = 5


class SearchLoop(Loop):
    """Trains trials of the study until the budget is spent, then waits until no trial of the study runs."""

    def __init__(self, setup: SearchSetup, store: TrialStore, *, shown: list[SearchListener] | None = None) -> None:
        if store.run_settings().get("pruner") == DATA_HALVING:
            raise StudyMismatchError(
                f"the study '{store.study.study_name}' was searched with pruner=\"{DATA_HALVING}\", which is no longer "
                "offered, so it is not continued; flair-hpo show and report still read it, and a new base_path (or "
                "study name) searches again"
            )
        space, strategy = setup.search_space, setup.search_strategy
        driver = Driver(space, strategy, setup.policies)  # its budget is refreshed from the study at every turn
        self.setup, self.store = setup, store
        if shown is None:
            shown = [ProgressDisplay(setup.objective.name, space.max_epochs)]
        #: Who hears what the search does: what shows it to people, and the trackers the run settings ask for.
        self.listeners = Listeners([*shown, *setup.trackers()])
        self.trials = TrialTurn(setup, store, self.listeners, self.note_session, driver.budget)
        super().__init__(driver, store.study, train=self.trials.run)
        self.leaderboard = LeaderboardFile(setup.settings.base_path, space, setup.objective, setup.settings.reseeding)
        self._watch = Watch()

    def run(self, trains: bool = True) -> int:
        """Train trials until the budget is spent (``trains=False``: only wait), then wait until no trial of
        the study runs: a dead worker's trial is queued again and trained here. Returns the trials trained."""
        with out_of_collectors_sight():  # (its full collection first, before the session's time counts)
            self._session, self._session_start = uuid.uuid4().hex, self.store.clock()
            self.note_session()
            self.listeners.search_started(self._started())
            self.driver.policies = self.setup.policies  # with the starts the orchestrator found since
            try:
                return super().run(trains)
            finally:
                self.note_session()

    # ---------------------------------------------------------------- the loop's hooks
    def read(self) -> History:
        raise_if_stopped()
        reading = time.monotonic()
        history = self.store.history()
        if time.monotonic() - reading > self.store.heartbeat_interval:
            self._watch.forget()  # the read waited out an outage, which may have silenced the owners too
        if requeue_dead(self.store, history, self._watch) or repair(self.store, history):
            history = self.store.history()
        self.leaderboard.write(history)
        self.driver.budget.refresh(self.store.time_used(self.store.clock()))  # other workers' sessions count
        return history

    def wait(self) -> None:
        # Other workers' trials still run; if one of them dies, its configuration comes back.
        self.note_session()
        time.sleep(min(self.store.heartbeat_interval, _POLL_SECONDS))

    # ------------------------------------------------------------------------- the session
    @contextlib.contextmanager
    def telling_stops(self) -> Iterator[None]:
        """Tell the listeners of a Ctrl-C or SIGTERM that unwinds the block, so that a tracker ends its runs."""
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


@contextlib.contextmanager
def out_of_collectors_sight() -> Iterator[None]:
    """Keep what lives at the search's start (the corpus, Flair, torch) out of the garbage collector's sight
    while it runs (``gc.freeze``), so that collecting a trial's model does not walk the whole corpus again."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
