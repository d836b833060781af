"""The search in Weights & Biases: one run per trial, grouped by the study, written offline unless
``WANDB_MODE`` says otherwise (``wandb sync`` uploads them), so a search never waits on W&B's servers.

Why not Flair's ``WandbLogger``: Flair 0.15.1's trainer refuses it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flair_hpo.records import TrialStatus
from flair_hpo.results import events
from flair_hpo.tracking.values import epoch_scalars, hyperparameters, trial_metrics

#: The project of ``wandb: true``.
DEFAULT_PROJECT = "flair-hpo"


class WandbTracker(events.SearchListener):
    """Logs each trial of the search as a W&B run of ``project``, under ``folder`` (``folder/wandb/...``)."""

    def __init__(self, project: str | None, folder: Path) -> None:
        self.project = project or DEFAULT_PROJECT
        self.folder = folder
        self.group: str | None = None
        self.runs: dict[int, Any] = {}  # this worker's trials: number -> wandb Run

    def search_started(self, event: events.SearchStarted) -> None:
        self.group = event.study_name

    def trial_started(self, event: events.TrialStarted) -> None:
        import wandb

        self.folder.mkdir(parents=True, exist_ok=True)
        settings = wandb.Settings(console="off", silent=True, save_code=False, disable_git=True, x_disable_stats=True)
        config = hyperparameters(event.labels, event.seed, event.replicate)
        self.runs[event.trial] = wandb.init(
            project=self.project,
            group=self.group,
            job_type="trial",
            name=f"trial-{event.trial:04d}",
            config={**config, "trial": event.trial, "retry_of": event.retry_of},
            dir=str(self.folder),
            mode=os.environ.get("WANDB_MODE") or "offline",
            reinit="create_new",  # one run per trial, in the same process
            settings=settings,
        )

    def epoch_ended(self, event: events.EpochEnded) -> None:
        run = self.runs.get(event.trial)
        if run is not None:
            run.log(epoch_scalars(event), step=event.epoch)

    def trial_finished(self, event: events.TrialFinished) -> None:
        record = event.record
        run = self.runs.pop(record.number, None)
        if run is None:
            return
        summary = {"status": record.status.value, **trial_metrics(record)}
        run.summary.update(summary | ({"error": record.error} if record.error else {}))
        run.finish(exit_code=0 if record.status in (TrialStatus.COMPLETE, TrialStatus.PRUNED) else 1)

    def search_stopped(self, event: events.SearchStopped) -> None:
        """A trial whose end was not told (the stop came between its events) ends as failed."""
        for run in self.runs.values():
            run.summary.update({"status": TrialStatus.INTERRUPTED.value, "error": event.reason})
            run.finish(exit_code=1)
        self.runs.clear()
