"""The last call: the model a search returns comes from a training to the last epoch.

A search returns the model of its best trial (with reseeding, the winning configuration's best seed). A
pruner, or the time budget's deadline, may have stopped that trial before its last epoch; its model is then
weaker than its configuration trained to the end. So at the end of the budget, when the trial whose model
the search would return was cut short, the search keeps back what one full training takes and trains that
configuration again, with the same seed, to its last epoch and with the pruner off: the last call, made
once per search. Once it has finished, the training cut short counts no more (:meth:`History.scored`), and
the best model is chosen as usual: the full training's competes on its own dev value.

When: a RUNS budget keeps back its last run; a time budget keeps back, before a trial starts, the time of
one training to the end (see :meth:`flair_hpo.search.budget.BudgetState.keeps_last_call`).
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
