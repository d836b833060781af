"""The live status of a search on a terminal, redrawn twice a second below the log lines (drawn with ``rich``)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from flair_hpo.records import TrialStatus
from flair_hpo.results.events import (
    BatchEnded,
    EpochEnded,
    SearchListener,
    SearchStarted,
    TrialFinished,
    TrialStarted,
)
from flair_hpo.results.text import clock_text, fixed_labels, labels_text
from flair_hpo.training.scoring import Objective

_SHOWN = (TrialStatus.COMPLETE, TrialStatus.PRUNED, TrialStatus.FAILED)


class LiveStatus(SearchListener):
    """Draws the search's state on ``console`` while the search runs (see the module's docstring)."""

    def __init__(self, console: Console, objective: Objective, max_epochs: int) -> None:
        self.console = console
        self.objective = objective
        self.max_epochs = max_epochs
        self.study = ""
        self.started_at = time.monotonic()
        self.counts: dict[str, int] = {}
        #: The best trial so far: number, value and configuration.
        self.best: tuple[int, float, str] | None = None
        self.trial: TrialStarted | None = None
        self.trial_at = 0.0
        self.epoch = 0
        self.batch: BatchEnded | None = None
        self.last_dev: float | None = None
        self.live: Live | None = None
        #: The parameters every trial shares (not shown with each configuration).
        self.fixed: set[str] = set()
        #: This session's trials: when the first started, when the last ended, and how many ended.
        self.first_at: float | None = None
        self.last_end_at = 0.0
        self.ended = 0

    # ------------------------------------------------------------------------------ events
    def search_started(self, event: SearchStarted) -> None:
        self.study, self.started_at = event.study_name, time.monotonic()
        self.fixed = set(fixed_labels(event.search_space))
        if self.live is None:
            self.live = Live(console=self.console, get_renderable=self.render, refresh_per_second=2, transient=True)
            self.live.start()

    def trial_started(self, event: TrialStarted) -> None:
        self.trial, self.trial_at = event, time.monotonic()
        if self.first_at is None:
            self.first_at = self.trial_at
        self.counts = {status.value: event.statuses.get(status.value, 0) for status in _SHOWN}
        if event.best is not None:  # the study's, other workers' trials included
            self.best = (*event.best, labels_text(event.best_labels, self.fixed))
        self.epoch, self.batch, self.last_dev = 1, None, None
        self._refresh()

    def batch_ended(self, event: BatchEnded) -> None:
        self.epoch, self.batch = event.epoch, event
        self._refresh()  # told at most twice a second

    def epoch_ended(self, event: EpochEnded) -> None:
        self.last_dev, self.epoch, self.batch = event.value, event.epoch + 1, None
        self._refresh()

    def trial_finished(self, event: TrialFinished) -> None:
        record = event.record
        status = record.status.value
        self.counts[status] = self.counts.get(status, 0) + 1
        started = self.trial
        if started is not None and started.trial == record.number:
            self.trial = None
            self.ended, self.last_end_at = self.ended + 1, time.monotonic()
            best = None if self.best is None else self.best[1]
            if record.status.scored and record.value is not None and self.objective.is_better(record.value, best):
                self.best = (record.number, record.value, labels_text(started.labels, self.fixed))
        self._refresh()

    def search_finished(self, result: Any) -> None:
        self.stop()

    def stop(self) -> None:
        """Take the status off the terminal (the search's summary follows as lines)."""
        if self.live is not None:
            self.live.stop()
            self.live = None

    # ------------------------------------------------------------------------------ drawing
    def _refresh(self) -> None:
        # Between the timed redraws too, so that no trial or epoch goes by unseen.
        if self.live is not None:
            self.live.refresh()

    def render(self) -> Group:
        """What the terminal shows now."""
        now = time.monotonic()
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        head = f"study {self.study} · {self.objective.name} · elapsed {clock_text(now - self.started_at)}"
        trial = self.trial
        if trial is not None:
            head += f" · {self._time_left(trial, now)}"
            if not trial.timed:
                head += f" ({trial.budget_left})"
        grid.add_row("flair-hpo", Text(head))
        counts = " · ".join(f"{self.counts.get(status.value, 0)} {status.value}" for status in _SHOWN)
        grid.add_row("trials", Text(f"{counts} · {0 if trial is None else 1} running"))
        if self.best is not None:
            number, value, labels = self.best
            grid.add_row("best", Text(f"{value:.4f} (trial {number})" + (f": {labels}" if labels else "")))
        if trial is None:
            return Group(grid)
        grid.add_row(f"trial {trial.trial}", Text(f"(seed {trial.seed}) {labels_text(trial.labels, self.fixed)}"))
        epoch = min(self.epoch, self.max_epochs)
        batch = self.batch
        bar = ProgressBar(total=batch.batches if batch else 1, completed=batch.batch if batch else 0, width=30)
        line = Table.grid(padding=(0, 1))
        line.add_row(Text(f"epoch {epoch}/{self.max_epochs}"), bar, Text(self._epoch_detail()))
        return Group(grid, line)

    def _time_left(self, trial: TrialStarted, now: float) -> str:
        """A time budget's own time left; for runs, the runs left at this session's measured pace."""
        if trial.timed and trial.seconds_left is not None:
            return f"{clock_text(trial.seconds_left - (now - self.trial_at))} left"
        if trial.runs_left is None or not self.ended or self.first_at is None:
            return "time left unknown"
        pace = (self.last_end_at - self.first_at) / self.ended
        # This trial's rest (none once it has run longer than the pace), then the others at the pace.
        seconds = max(0.0, pace - (now - self.trial_at)) + pace * max(0, trial.runs_left - 1)
        return f"about {clock_text(seconds)} left"

    def _epoch_detail(self) -> str:
        parts = []
        if self.batch is not None:
            parts.append(f"{self.batch.batch}/{self.batch.batches} batches")
            if self.batch.train_loss is not None:
                parts.append(f"train loss {self.batch.train_loss:.4f}")
        if self.last_dev is not None:
            parts.append(f"last dev {self.last_dev:.4f}")
        return " · ".join(parts)
