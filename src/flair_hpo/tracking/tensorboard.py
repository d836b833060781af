"""The search in TensorBoard: one run folder per trial, with its scalars after every epoch and its
hyper-parameters in the HParams view (docs/tracking.md).

Why not Flair's ``TensorboardLogger``: it writes no HParams data, so the view where trials are compared would be
empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flair_hpo.results.events import BatchEnded, EpochEnded, SearchListener, TrialFinished, TrialStarted
from flair_hpo.tracking.values import epoch_scalars, hyperparameters, trial_metrics


class TensorboardTracker(SearchListener):
    """Writes TensorBoard event files under ``folder``, one run folder per trial."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[int, Any] = {}  # this worker's trials: number -> SummaryWriter

    def trial_started(self, event: TrialStarted) -> None:
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams

        writer = SummaryWriter(str(self.folder / f"trial-{event.trial:04d}"))
        parameters = hyperparameters(event.labels, event.seed, event.replicate)
        _, session_start, _ = hparams(parameters, {})
        writer.file_writer.add_summary(session_start)
        self.writers[event.trial] = writer

    def batch_ended(self, event: BatchEnded) -> None:
        writer = self.writers.get(event.trial)
        if writer is not None and event.train_loss is not None:  # sampled as told: twice a second, each epoch's end
            writer.add_scalar("train/batch_loss", event.train_loss, (event.epoch - 1) * event.batches + event.batch)

    def epoch_ended(self, event: EpochEnded) -> None:
        writer = self.writers.get(event.trial)
        if writer is None:
            return
        for tag, value in epoch_scalars(event).items():
            writer.add_scalar(tag, value, event.epoch)
        writer.flush()  # a trial whose process is killed keeps its epochs

    def trial_finished(self, event: TrialFinished) -> None:
        from torch.utils.tensorboard.summary import hparams

        record = event.record
        writer = self.writers.pop(record.number, None)
        if writer is None:
            return
        for name, value in trial_metrics(record).items():
            writer.add_scalar(f"trial/{name}", value, record.epochs or 0)
        writer.add_text("trial/status", record.status.value + (f": {record.error}" if record.error else ""))
        _, _, session_end = hparams({}, {})
        writer.file_writer.add_summary(session_end)
        writer.close()
