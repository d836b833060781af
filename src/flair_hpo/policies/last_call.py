"""The last call: the model a search returns comes from a training to the last epoch.

When the trial whose model the search would return was cut short (by the pruner or the deadline), the end of
the budget trains its configuration again, same seed, to its last epoch, once per search.
"""

from __future__ import annotations

from flair_hpo.policies.reseeding import Reseeding
from flair_hpo.records import History, TrialRecord, TrialStatus


def cut_short_model(history: History, reseeding: Reseeding) -> TrialRecord | None:
    """The trial whose model the search would return now if it was cut short (pruned, or stopped by the
    deadline), and no last call was made yet; else None."""
    if any(r.last_call and r.status is not TrialStatus.SKIPPED for r in history.records):
        return None
    winner = reseeding.winner(history)
    best = winner.best if winner is not None else None
    return best if best is not None and best.cut_short else None


def announcement(record: TrialRecord) -> str:
    """One line for the log: ``record``'s configuration is trained again to the end."""
    how = "pruned" if record.status is TrialStatus.PRUNED else "stopped by the time budget"
    return (
        f"last call: the best model, trial {record.number}'s, was {how} after epoch {record.epochs}; its "
        "configuration is trained again with the same seed, to its last epoch and without pruning, so that the "
        "model returned is from a full training"
    )
