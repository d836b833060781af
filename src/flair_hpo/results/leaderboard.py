"""The leaderboard: every trial of the study, ranked by its dev value, as ``leaderboard.csv``, ``flair-hpo
show`` and the report show it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from flair_hpo.files import atomic_write_text
from flair_hpo.space import SearchSpace
from flair_hpo.strategies.history import History, TrialRecord
from flair_hpo.training.scoring import Objective

LEADERBOARD = "leaderboard.csv"

# Complete and pruned trials rank together by dev value (a pruned trial keeps its best epoch's weights).
_STATUS_ORDER = {"complete": 0, "pruned": 0, "running": 2, "failed": 3, "interrupted": 4}


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
