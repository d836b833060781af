"""The leaderboard: every trial of the study, as ``leaderboard.csv``, ``flair-hpo show`` and the report show
it, configurations ranked as the search chooses (:mod:`flair_hpo.policies.reseeding`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from flair_hpo.files import atomic_write_text
from flair_hpo.policies import Reseeding
from flair_hpo.records import History, TrialRecord, TrialStatus
from flair_hpo.space import SearchSpace, configuration_key
from flair_hpo.space import parameter_enums as p
from flair_hpo.training.scoring import Objective

LEADERBOARD = "leaderboard.csv"

_STATUS_ORDER = {
    TrialStatus.COMPLETE: 0,
    TrialStatus.PRUNED: 0,
    TrialStatus.RUNNING: 2,
    TrialStatus.FAILED: 3,
    TrialStatus.INTERRUPTED: 4,
}
#: A search that chooses the best single trial.
PLAIN = Reseeding(finalists=0)


def ranked(history: History, reseeding: Reseeding = PLAIN) -> list[tuple[int | str, TrialRecord]]:
    """Trials for the leaderboard with their configuration's rank: scored ones in the order the search chooses
    (each configuration's seeds together), then those scored on a share of the training split (unranked), then
    running, failed, interrupted."""
    rows: list[tuple[int | str, TrialRecord]] = []
    for rank, configuration in enumerate(reseeding.ranked(history), start=1):
        rows += [(rank, record) for record in configuration.records]
    for fraction in sorted({r.fraction for r in history.records if r.fraction < 1.0}, reverse=True):
        rows += [("", record) for record in history.scored(fraction)]
    unscored = [
        r for r in history.records if r.status in _STATUS_ORDER and (r.value is None or r.status is TrialStatus.RUNNING)
    ]
    return rows + [("", r) for r in sorted(unscored, key=lambda r: (_STATUS_ORDER[r.status], r.number))]


def leaderboard_rows(
    history: History, space: SearchSpace, objective: Objective, reseeding: Reseeding = PLAIN
) -> list[dict[str, Any]]:
    """The leaderboard as rows of readable values."""
    configurations = {configuration_key(c.labels): c for c in history.configurations()}
    rows = []
    for rank, record in ranked(history, reseeding):
        # A screening trial's scores are its own: the configuration's mean is that of the whole split.
        configuration = configurations.get(configuration_key(record.labels)) if record.fraction >= 1.0 else None
        row: dict[str, Any] = {
            "rank": rank,
            "trial": record.number,
            "status": record.shown_status,
            "share": f"{record.fraction:.0%}",
            "seed": record.replicate,
            objective.name: _number(record.value),
            "mean": _number(configuration.value) if configuration else "",
            "sd": _number(configuration.sd) if configuration and configuration.seeds > 1 else "",
            "seeds": configuration.seeds if configuration else "",
            f"dev {objective.evaluation_metric.value}": _number(record.dev_score),
            "dev loss": _number(record.dev_loss),
            "epochs": _epochs(record, space),
            "best epoch": "" if record.best_epoch is None else record.best_epoch,
            "seconds": _number(record.duration_s, 1),
        }
        row.update({d.name: record.labels.get(d.name, "") for d in space.dimensions})
        row["error"] = _first_line(record.error)
        rows.append(row)
    unsaid = [] if any(r.fraction < 1.0 for r in history.records) else ["share"]  # of the training split
    if all(c.seeds == 1 for c in configurations.values()):  # one seed each: the columns of seeds say nothing
        unsaid += ["seed", "mean", "sd", "seeds"]
    for row in rows:
        for column in unsaid:
            del row[column]
    return rows


def _epochs(record: TrialRecord, space: SearchSpace) -> Any:
    """The epochs a trial trained; a running one's so far, of the most it may train (``2/5``)."""
    if record.status is TrialStatus.RUNNING:
        most = record.labels.get(p.parameter_key(p.ModelTrainer.MAX_EPOCHS), space.max_epochs)
        return f"{record.last_epoch or 0}/{most}"
    return "" if record.epochs is None else record.epochs


def shown_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The columns of ``rows`` that say something in at least one row (a table for people leaves out the rest)."""
    return [column for column in rows[0] if any(str(row[column]) for row in rows)] if rows else []


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


class LeaderboardFile:
    """``leaderboard.csv`` of a search, written from the study's history whenever that changed."""

    def __init__(self, base_path: Path, space: SearchSpace, objective: Objective, reseeding: Reseeding) -> None:
        self.path = base_path / LEADERBOARD
        self.space, self.objective, self.reseeding = space, objective, reseeding
        self._shown: tuple | None = None  # what the file shows

    def write(self, history: History) -> None:
        shown = tuple((r.number, r.status, r.value, r.last_epoch) for r in history.records)
        if shown != self._shown:
            write_leaderboard(self.path, leaderboard_rows(history, self.space, self.objective, self.reseeding))
            self._shown = shown
