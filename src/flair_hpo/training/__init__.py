"""Training: a configuration becomes a Flair model, trained and scored on dev after every epoch (names imported
when first used, so that what only reads a study needs no Flair or torch)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flair_hpo.training.monitor import TrialMonitor
    from flair_hpo.training.objective import TrialObjective
    from flair_hpo.training.scoring import Objective
    from flair_hpo.training.trial_runner import TrialOutcome, train, train_configuration

_LAZY = {
    "Objective": "flair_hpo.training.scoring",
    "TrialMonitor": "flair_hpo.training.monitor",
    "TrialObjective": "flair_hpo.training.objective",
    "TrialOutcome": "flair_hpo.training.trial_runner",
    "train": "flair_hpo.training.trial_runner",
    "train_configuration": "flair_hpo.training.trial_runner",
}
__all__ = ["Objective", "TrialMonitor", "TrialObjective", "TrialOutcome", "train", "train_configuration"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flair_hpo.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
