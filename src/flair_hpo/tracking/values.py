"""What the trackers write: a trial's hyper-parameters with their readable names, as plain values."""

from __future__ import annotations

import json
import math
from typing import Any

from flair_hpo.results.events import EpochEnded
from flair_hpo.space import Label


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


def epoch_scalars(event: EpochEnded) -> dict[str, float]:
    """An epoch's scalars by the names TensorBoard and W&B show them under (those that are known)."""
    scalars = {"dev/score": event.dev_score, "dev/loss": event.dev_loss, "train/loss": event.train_loss}
    return {tag: value for tag, value in {**scalars, "dev/value": event.value}.items() if value is not None}
