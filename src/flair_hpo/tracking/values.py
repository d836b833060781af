"""What the trackers write: a trial's hyper-parameters with their readable names, as plain values, and its
metrics, one name per meaning (docs/tracking.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from flair_hpo.records import TrialRecord
from flair_hpo.results.events import EpochEnded
from flair_hpo.space import Label
from flair_hpo.training.scoring import DEV_LOSS


def plain(value: Any) -> str | int | float | bool:
    """``value`` as a tracker stores it: numbers, booleans and text as they are, anything else as JSON text."""
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return json.dumps(value, default=str)


def hyperparameters(labels: dict[str, Label], seed: int | None, replicate: int) -> dict[str, Any]:
    """A trial's parameters by their names in the search space, with its seed and replicate."""
    found = {name: plain(value) for name, value in labels.items()}
    found.update(seed=plain(seed), replicate=replicate)
    return found


def epoch_metrics(event: EpochEnded) -> dict[str, float]:
    """An epoch's metrics, as MLflow names them: ``dev_score``, ``dev_loss``, ``train_loss``."""
    metrics = {"dev_score": event.dev_score, "dev_loss": event.dev_loss, "train_loss": event.train_loss}
    return {name: value for name, value in metrics.items() if value is not None}


def epoch_scalars(event: EpochEnded) -> dict[str, float]:
    """An epoch's metrics as TensorBoard and W&B show them: ``dev/score``, ``dev/loss``, ``train/loss``."""
    return {name.replace("_", "/"): value for name, value in epoch_metrics(event).items()}


def trial_metrics(record: TrialRecord) -> dict[str, float]:
    """A finished trial's metrics (those that are known): ``best_dev_score`` and ``best_dev_loss`` (of the epoch
    whose weights it kept: its value is one of them), ``best_epoch``, ``epochs`` and ``seconds``."""
    metrics = {
        "best_dev_score": record.dev_score,
        "best_dev_loss": record.dev_loss,
        "best_epoch": record.best_epoch,
        "epochs": record.epochs,
        "seconds": record.duration_s,
    }
    return {name: value for name, value in metrics.items() if value is not None}


def result_metric(objective: str) -> str:
    """The name of a search's result for its objective's name (``dev micro_f1_score`` or ``dev loss``)."""
    return "best_dev_loss" if objective == DEV_LOSS else "best_dev_score"
