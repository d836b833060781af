"""The progress display: one line per epoch and per trial, through the ``flair_hpo`` logger.

Example lines::

    trial 3 | epoch 2/5 | dev micro_f1_score 0.8123 | best 0.8501 (trial 1) | 5 of 8 runs left
    trial 3 complete: dev micro_f1_score 0.8201 after 5 epochs in 41.2 s
"""

from __future__ import annotations

import logging
import time

from flair_hpo.results.events import (
    BatchEnded,
    EpochEnded,
    SearchListener,
    SearchStarted,
    TrialFinished,
    TrialStarted,
)
from flair_hpo.results.text import clock_text, fixed_labels, labels_text

log = logging.getLogger("flair_hpo")

#: Seconds between two lines about the mini-batches of one long epoch.
BATCH_LINE_SECONDS = 60.0


class ProgressDisplay(SearchListener):
    """Reports the trial in training, its epoch, the best score so far and the budget left."""

    def __init__(self, objective_name: str, max_epochs: int, *, epochs_shown: bool = True) -> None:
        self.objective_name = objective_name
        self.max_epochs = max_epochs
        #: Epoch lines at INFO (the console shows them) or DEBUG (the log file only: a live status shows epochs).
        self.epoch_level = logging.INFO if epochs_shown else logging.DEBUG
        self._started: TrialStarted | None = None
        self._started_at = 0.0
        self._batch_line = 0.0
        self._fixed: set[str] = set()

    def search_started(self, event: SearchStarted) -> None:
        fixed = fixed_labels(event.search_space)
        if fixed and not self._fixed:  # once (a search waiting for workers starts twice)
            log.info("every trial: %s", labels_text(fixed))
        self._fixed = set(fixed)

    def trial_started(self, event: TrialStarted) -> None:
        self._started, self._started_at = event, time.monotonic()
        again = f", again for trial {event.retry_of}" if event.retry_of is not None else ""
        shown = labels_text(event.labels, self._fixed)
        log.info("trial %d started (seed %s%s): %s", event.trial, event.seed, again, shown)
        self._batch_line = time.monotonic()

    def batch_ended(self, event: BatchEnded) -> None:
        # A long epoch (fine-tuning) says it is alive; short ones are covered by their epoch line.
        if time.monotonic() - self._batch_line < BATCH_LINE_SECONDS or event.batch == event.batches:
            return
        self._batch_line = time.monotonic()
        loss = "" if event.train_loss is None else f" | train loss {event.train_loss:.4f}"
        log.log(
            self.epoch_level,
            "trial %d | epoch %d/%d | batch %d/%d%s",
            event.trial,
            event.epoch,
            self.max_epochs,
            event.batch,
            event.batches,
            loss,
        )

    def epoch_ended(self, event: EpochEnded) -> None:
        started = self._started
        best = started.best if started is not None else None
        shown = "none yet" if best is None else f"{best[1]:.4f} (trial {best[0]})"
        left = started.budget_left if started is not None else ""
        if started is not None and started.timed and started.seconds_left is not None:  # the clock runs on
            left = f"{clock_text(started.seconds_left - (time.monotonic() - self._started_at))} left"
        self._batch_line = time.monotonic()
        log.log(
            self.epoch_level,
            "trial %d | epoch %d/%d | %s %.4f | best %s | %s",
            event.trial,
            event.epoch,
            self.max_epochs,
            self.objective_name,
            event.value,
            shown,
            left,
        )

    def trial_finished(self, event: TrialFinished) -> None:
        log.info("trial %d %s: %s", event.record.number, event.record.status, event.detail)
