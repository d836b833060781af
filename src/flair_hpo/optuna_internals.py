"""The few private parts of Optuna flair-hpo uses, in one place; ``pyproject.toml`` pins Optuna to the minor
version they were tested with (5.0).

A sampler that proposes whole configurations has to note its proposal on the trial it is asked about, as
Optuna's own ``GridSampler`` notes its grid point: through the study's storage and the trial's id, which
Optuna keeps private.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.storages import BaseStorage


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage a study reads and writes."""
    return study._storage


def trial_id(trial: Any) -> int:
    """The storage's id of a trial (``optuna.Trial`` or ``FrozenTrial``); numbers are per study, ids per storage."""
    return trial._trial_id
