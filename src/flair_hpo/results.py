"""Where results are written: the leaderboard, the best configuration and the best model.

Everything is written atomically (a temporary file, then a rename), so a crash leaves the previous
complete version. Files in ``base_path``:

* ``best-model.pt`` -- the weights of the best trial (only that trial's; a better trial replaces them);
* ``best-configuration.yaml`` -- its configuration and scores, loadable with :meth:`Configuration.load`;
* ``leaderboard.csv`` -- every trial, ranked, with its parameters, dev score, epochs, time and status.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.configuration import Configuration
from flair_hpo.files import atomic_write, atomic_write_text, file_lock
from flair_hpo.history import History, TrialRecord
from flair_hpo.scoring import Objective
from flair_hpo.search_spaces import SearchSpace

BEST_MODEL = "best-model.pt"
FINAL_MODEL = "final-model.pt"
BEST_CONFIGURATION = "best-configuration.yaml"
LEADERBOARD = "leaderboard.csv"
_LOCK = ".flair-hpo.lock"

# Complete and pruned trials rank together by dev value (a pruned trial keeps its best epoch's weights).
_STATUS_ORDER = {"complete": 0, "pruned": 0, "running": 2, "failed": 3, "interrupted": 4}


@contextlib.contextmanager
def locked(base_path: Path) -> Iterator[None]:
    """Serialize result writing between the workers of one machine."""
    with file_lock(base_path / _LOCK):
        yield


def ranked(history: History) -> list[TrialRecord]:
    """Trials for the leaderboard: scored ones (complete or pruned) best first, then running, failed."""
    shown = [r for r in history.records if r.status in _STATUS_ORDER]
    sign = 1 if history.minimize else -1

    def order(record: TrialRecord) -> tuple:
        value = record.value if record.value is not None else 0.0
        return (_STATUS_ORDER[record.status], sign * value, record.number)

    return sorted(shown, key=order)


def leaderboard_rows(history: History, space: SearchSpace, objective: Objective) -> list[dict[str, Any]]:
    """The leaderboard as rows of readable values."""
    rows = []
    for rank, record in enumerate(ranked(history), start=1):
        attrs = record.user_attrs
        row: dict[str, Any] = {
            "rank": rank if record.status in ("complete", "pruned") else "",
            "trial": record.number,
            "status": record.status,
            objective.name: _number(record.value),
            f"dev {objective.evaluation_metric.value}": _number(attrs.get("dev_score")),
            "dev loss": _number(attrs.get("dev_loss")),
            "epochs": attrs.get("epochs", ""),
            "best epoch": attrs.get("best_epoch", ""),
            "seconds": _number(attrs.get("duration_s"), 1),
        }
        row.update({d.name: record.labels.get(d.name, "") for d in space.dimensions})
        row["error"] = _first_line(attrs.get("error", ""))
        rows.append(row)
    return rows


def _first_line(text: str, limit: int = 300) -> str:
    """The gist of an error message (the log file has all of it)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _number(value: Any, digits: int = 4) -> Any:
    return "" if value is None else round(float(value), digits)


def write_leaderboard(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def write_best_configuration(
    path: Path,
    configuration: Configuration,
    record: TrialRecord,
    objective: Objective,
    test_score: float | None,
    final_test_score: float | None = None,
) -> None:
    """``best-configuration.yaml``: the configuration (loadable by :meth:`Configuration.load`) and its scores."""
    result = {
        "trial": record.number,
        objective.name: record.value,
        f"dev {objective.evaluation_metric.value}": record.user_attrs.get("dev_score"),
        "dev loss": record.user_attrs.get("dev_loss"),
        "epochs": record.user_attrs.get("epochs"),
        "model": BEST_MODEL,
    }
    if test_score is not None:
        result[f"test {objective.evaluation_metric.value}"] = test_score
    if final_test_score is not None:
        result["final model"] = f"{FINAL_MODEL} (trained on train + dev for {configuration.max_epochs} epochs)"
        result[f"final model test {objective.evaluation_metric.value}"] = final_test_score
    text = (
        "# The best configuration flair-hpo found. Train it again with:\n"
        "#   Configuration.load('best-configuration.yaml').train(corpus, 'retrained/')\n"
        + yaml.safe_dump({"configuration": configuration.to_dict(), "result": result}, sort_keys=False)
    )
    atomic_write_text(path, text)


def save_model(model: Any, path: Path) -> None:
    atomic_write(path, lambda tmp: model.save(tmp))


@dataclass
class OptimizationResult:
    """What :meth:`Orchestrator.optimize` hands back."""

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

    def report(self) -> Path:
        """Write the HTML report of the search (``report.html`` in base_path) and return its path."""
        from flair_hpo.report import write_report

        return write_report(self.base_path, self.storage, self.study_name)

    def __str__(self) -> str:
        if self.best_trial is None:
            return f"No trial finished ({self.trials}); see {self.leaderboard_path} for errors."
        parameters = "\n".join(f"  {name}: {value}" for name, value in self.best_configuration.items())
        test = "" if self.test_score is None else f", test {self.test_score:.4f}"
        final_test = "" if self.final_test_score is None else f", test {self.final_test_score:.4f}"
        return (
            f"Best configuration (trial {self.best_trial}, {self.objective} {self.dev_score:.4f}{test}):\n"
            f"{parameters}\n"
            f"Best model: {self.model_path}\n"
            + (f"Final model (train + dev): {self.final_model_path}{final_test}\n" if self.final_model_path else "")
            + f"Leaderboard: {self.leaderboard_path}"
        )
