"""The progress display: one line per epoch and per trial, through the ``flair_hpo`` logger.

Example lines::

    trial 3 started: ModelTrainer.learning_rate=0.05, DocumentRNNEmbeddings.hidden_size=128
    trial 3 | epoch 2/5 | dev micro_f1_score 0.8123 | best 0.8501 (trial 1) | 5 of 8 runs left
    trial 3 complete: dev micro_f1_score 0.8201 after 5 epochs in 41.2 s
"""

from __future__ import annotations

import logging

from flair_hpo.records import History, TrialStatus
from flair_hpo.space import Label
from flair_hpo.training.trial_runner import TrialOutcome

log = logging.getLogger("flair_hpo")


class ProgressDisplay:
    """Reports the trial in training, its epoch, the best score so far and the budget left."""

    def __init__(self, objective_name: str, max_epochs: int) -> None:
        self.objective_name = objective_name
        self.max_epochs = max_epochs
        self._best: tuple[int, float] | None = None
        self._left = ""

    def trial_started(
        self,
        number: int,
        labels: dict[str, Label],
        history: History,
        budget_left: str,
        seed: int | None = None,
        fraction: float = 1.0,
    ) -> None:
        """A trial starts; ``history`` (read just before) has the best trial so far, of any worker."""
        best = history.best()
        self._best = (best.number, best.value) if best else None
        self._left = budget_left
        on = f" on {fraction:.0%} of the training split" if fraction < 1.0 else ""
        log.info("trial %d started (seed %s%s): %s", number, seed, on, ", ".join(f"{k}={v}" for k, v in labels.items()))

    def epoch_finished(self, number: int, epoch: int, value: float) -> None:
        best = "none yet" if self._best is None else f"{self._best[1]:.4f} (trial {self._best[0]})"
        log.info(
            "trial %d | epoch %d/%d | %s %.4f | best %s | %s",
            number,
            epoch,
            self.max_epochs,
            self.objective_name,
            value,
            best,
            self._left,
        )

    def trial_finished(self, number: int, status: str, detail: str) -> None:
        log.info("trial %d %s: %s", number, status, detail)

    def trial_trained(self, number: int, outcome: TrialOutcome, seconds: float) -> None:
        """A trial finished training: its best epoch's value, and whether it was stopped early."""
        stopped = f", stopped after epoch {outcome.epochs} of {self.max_epochs}" if outcome.pruned else ""
        self.trial_finished(
            number,
            TrialStatus.PRUNED if outcome.pruned else TrialStatus.COMPLETE,
            f"{self.objective_name} {outcome.value:.4f} (best epoch {outcome.best_epoch} of {outcome.epochs}"
            f"{stopped}) in {seconds:.1f} s",
        )
