"""The door of a trial: a configuration that is not one of the search space's is failed with one line before
anything is built from it, uses no budget and is never queued again.

Why: such a value queued in the study (Optuna's ``enqueue_trial``) made every run of the search stop there.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna
from optuna.trial import TrialState

from flair_hpo.records import TrialRecord, keys
from flair_hpo.space import SearchSpace
from flair_hpo.space.admission import outside_space
from flair_hpo.study import TrialStore


def refused(
    store: TrialStore,
    space: SearchSpace,
    trial: optuna.Trial,
    opened: TrialRecord,
    finished: Callable[[optuna.Trial, str], None],
) -> bool:
    """Whether ``trial`` (opened as ``opened``) was refused: its configuration is not one of ``space``'s. Then it
    is failed, marked as using no budget, and ``finished(trial, why)`` is told."""
    problem = outside_space(space, opened.labels)
    if problem is None:
        return False
    error = f"refused: its configuration is not one of the search space's ({problem}); it uses no budget"
    trial.set_user_attr(keys.REFUSED, True)
    trial.set_user_attr(keys.ERROR, error)
    store.study.tell(trial, state=TrialState.FAIL)
    finished(trial, error)
    return True
