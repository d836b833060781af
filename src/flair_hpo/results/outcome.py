"""What a search hands back: the best configuration, its scores and where its files are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flair_hpo.results.text import readable


@dataclass
class OptimizationResult:
    """What :meth:`Orchestrator.optimize` hands back.

    ``dev_score`` is the best configuration's mean dev value over its ``seeds`` (``dev_sd`` their standard
    deviation); ``best_trial``, ``model_path`` and ``test_score`` are those of its best seed.
    """

    best_configuration: dict[str, Any]
    objective: str
    dev_score: float | None
    test_score: float | None
    best_trial: int | None
    model_path: Path | None
    configuration_path: Path | None
    leaderboard_path: Path
    trials: dict[str, int]
    final_model_path: Path | None = None
    final_test_score: float | None = None
    base_path: Path | None = None
    storage: str | None = field(default=None, repr=False)  # may hold a password
    study_name: str | None = None
    seeds: int = 1
    dev_sd: float = 0.0
    #: How the best model's training stopped before its last epoch ("pruned after 2 of 5 epochs"), or None
    #: when it trained to the end: such a model is weaker than its configuration trained to the end.
    stopped_early: str | None = None
    #: Why the budget left little to choose from (a time budget smaller than one training), or None.
    budget_note: str | None = None

    def report(self) -> Path:
        """Write the HTML report of the search (``report.html`` in base_path) and return its path."""
        from flair_hpo.results.report import write_report

        return write_report(self.base_path, self.storage, self.study_name)

    def __str__(self) -> str:
        note = f"Note: {self.budget_note}.\n" if self.budget_note else ""
        if self.best_trial is None:
            return f"{note}No trial finished ({self.trials}); see {self.leaderboard_path} for errors."
        parameters = "\n".join(f"  {name}: {readable(value)}" for name, value in self.best_configuration.items())
        test = "" if self.test_score is None else f", test {self.test_score:.4f}"
        if self.seeds > 1:
            test = f" mean over {self.seeds} seeds, sd {self.dev_sd:.4f}; best seed's model{test}"
        final_test = "" if self.final_test_score is None else f", test {self.final_test_score:.4f}"
        return (
            f"{note}Best configuration (trial {self.best_trial}, {self.objective} {self.dev_score:.4f}{test}):\n"
            f"{parameters}\n"
            f"Best model: {self.model_path}\n"
            + (
                f"  (not trained to the end: {self.stopped_early}; `flair-hpo train {self.configuration_path}` "
                "trains the configuration for all its epochs)\n"
                if self.stopped_early
                else ""
            )
            + (f"Final model (train + dev): {self.final_model_path}{final_test}\n" if self.final_model_path else "")
            + f"Leaderboard: {self.leaderboard_path}"
        )
