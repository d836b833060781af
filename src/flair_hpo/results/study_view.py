"""Read a finished or running search without changing it (``flair-hpo show``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flair_hpo.errors import InputError
from flair_hpo.policies import Reseeding
from flair_hpo.records import History, keys
from flair_hpo.results.leaderboard import PLAIN, leaderboard_rows, shown_columns
from flair_hpo.results.people_table import people_table
from flair_hpo.results.rounding import score_decimals
from flair_hpo.space import SearchSpace
from flair_hpo.study import JOURNAL_FILE, open_storage, redact, study_exists, study_name_for
from flair_hpo.study.storages import without_secrets
from flair_hpo.study.trial_store import stored_space
from flair_hpo.training.scoring import Objective


@dataclass
class StudyView:
    """The history and search space of a study (and the Optuna study, for its visualizations)."""

    history: History
    space: SearchSpace
    study: Any = None
    strategy: dict[str, Any] | None = None
    reseeding: Reseeding = PLAIN
    #: The sentences of the dev split (None for a study that did not store it).
    dev_size: int | None = None

    @property
    def objective(self) -> Objective:
        return Objective.of(self.space)

    @property
    def score_decimals(self) -> int:
        """The decimals dev scores are shown with: what their noise allows (:mod:`flair_hpo.results.rounding`)."""
        best = self.history.best()
        sds = [c.sd for c in self.history.configurations() if c.seeds > 1]
        return score_decimals(None if best is None else best.dev_score, self.dev_size, sds)


def open_for_reading(base_path: Path, storage: str | None = None, study_name: str | None = None) -> StudyView:
    """The study of the search in ``base_path`` (or in ``storage``), read-only."""
    import optuna

    if storage is None and not (base_path / JOURNAL_FILE).is_file():
        raise InputError(f"{base_path} holds no flair-hpo search (no {JOURNAL_FILE}); give --storage for other stores")
    where = redact(storage) if storage else base_path / JOURNAL_FILE
    try:
        backend = open_storage(storage, base_path, heartbeat_interval=None)
        study_name = study_name_for(backend, base_path, study_name, reading=True)
        if not study_exists(backend, study_name):
            raise InputError(f"there is no study '{study_name}' in {where}")
        study = optuna.load_study(study_name=study_name, storage=backend)
    except InputError:
        raise
    except Exception as error:  # a journal that is not one (cut short, another program's file)
        reason = without_secrets(str(error), storage)
        raise InputError(f"the study in {where} cannot be read ({type(error).__name__}: {reason})") from None
    attributes = backend.get_study_system_attrs(backend.get_study_id_from_name(study_name))
    stored = attributes.get(keys.SEARCH_SPACE)
    if stored is None:
        raise InputError(f"the study '{study_name}' was not created by flair-hpo")
    space = stored_space(stored, study_name)
    stored_reseeding = (attributes.get(keys.RUN) or {}).get("reseeding")
    reseeding = Reseeding(**stored_reseeding) if stored_reseeding else PLAIN
    dev_size = (attributes.get(keys.CORPUS) or {}).get("dev")
    return StudyView(History.of(study), space, study, attributes.get(keys.STRATEGY), reseeding, dev_size)


def format_table(rows: list[dict[str, Any]]) -> str:
    """Rows of equal keys as an aligned text table."""
    if not rows:
        return "(no trials yet)"
    columns = shown_columns(rows)
    widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += ["  ".join(str(row[c]).ljust(widths[c]) for c in columns) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def leaderboard_table(view: StudyView, width: int | None = None) -> str:
    """The leaderboard, ranked: as ``leaderboard.csv`` has it, or, with ``width``, for people."""
    rows = leaderboard_rows(view.history, view.space, view.objective, view.reseeding)
    if width is None:
        return format_table(rows)
    return people_table(rows, [d.name for d in view.space.dimensions], width, view.score_decimals)


def stored_corpus(base_path: Path) -> dict[str, Any] | None:
    """The corpus reference stored with the study in ``base_path/study.journal`` (what workers load), or None."""
    if not (base_path / JOURNAL_FILE).is_file():
        return None
    backend = open_storage(None, base_path, heartbeat_interval=None)
    try:
        name = study_name_for(backend, base_path, reading=True)
    except InputError:
        return None
    attributes = backend.get_study_system_attrs(backend.get_study_id_from_name(name))
    return (attributes.get(keys.RUN) or {}).get("corpus")
