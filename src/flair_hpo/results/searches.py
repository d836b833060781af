"""The searches of a folder or of a storage, one row each, as ``flair-hpo studies`` lists them (as ``optuna
studies`` does): name, folder, task, trials, best dev value, state and last activity.

Example::

    for row in search_rows(Path("hyperopt")):
        print(row["name"], row["state"])
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path
from typing import Any

from flair_hpo.files import TRIALS_DIR
from flair_hpo.policies import Reseeding
from flair_hpo.records import History, keys
from flair_hpo.results.leaderboard import PLAIN
from flair_hpo.results.text import readable
from flair_hpo.study import JOURNAL_FILE, open_storage, searches_in
from flair_hpo.study.heartbeat import surely_dead
from flair_hpo.study.storages import HEARTBEAT_INTERVAL

#: How deep below the folder given search folders are looked for, and folders never looked into.
MAX_DEPTH = 4
_NOT_SEARCHES = {TRIALS_DIR, "tensorboard", "wandb", "retrained", "node_modules", "__pycache__"}


def search_folders(folder: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """``folder`` and the folders below it (to ``depth`` levels) that hold a ``study.journal``, sorted."""
    found = []
    for root, folders, files in os.walk(folder):
        here = Path(root)
        if JOURNAL_FILE in files:
            found.append(here)
        level = len(here.relative_to(folder).parts)
        folders[:] = [] if level >= depth else [f for f in folders if not f.startswith(".") and f not in _NOT_SEARCHES]
    return sorted(found)


def search_rows(folder: Path | None = None, storage: str | None = None) -> list[dict[str, str]]:
    """A row for each flair-hpo search in ``storage``, or in the journals of ``folder`` and below."""
    if storage is not None:
        return _rows(open_storage(storage, Path("."), heartbeat_interval=None), None)
    rows = []
    for found in search_folders(folder or Path(".")):
        rows += _rows(open_storage(None, found, heartbeat_interval=None), found)
    return rows


def _rows(storage: Any, folder: Path | None) -> list[dict[str, str]]:
    import optuna

    rows = []
    for frozen in searches_in(storage):
        attributes = frozen.system_attrs
        run = attributes.get(keys.RUN) or {}
        space = attributes.get(keys.SEARCH_SPACE) or {}
        study = optuna.load_study(study_name=frozen.study_name, storage=storage)
        history = History.of(study)
        stored = run.get("reseeding")  # the best configuration is chosen as the search chooses it
        winner = (Reseeding(**stored) if stored else PLAIN).winner(history)
        label_type = attributes.get(keys.LABEL_TYPE)
        rows.append(
            {
                "name": frozen.study_name,
                "folder": str(folder if folder is not None else run.get("base_path", "")),
                "task": str(space.get("task", "?")) + (f" ({label_type})" if label_type else ""),
                "trials": str(len(history.counted())),
                "best dev": "" if winner is None else f"{readable(winner.value)} {_objective(space)}",
                "state": _state(attributes, history, run, None if winner is None else winner.best.number),
                "last activity": _last_activity(attributes, study),
            }
        )
    return rows


def _objective(space: dict[str, Any]) -> str:
    """What the dev value is: the metric, or the loss."""
    return "loss" if space.get("optimization_value") == "dev_loss" else str(space.get("evaluation_metric", ""))


def _state(attributes: dict[str, Any], history: History, run: dict[str, Any], best: int | None) -> str:
    interval = float(run.get("heartbeat_interval") or HEARTBEAT_INTERVAL)
    recent = _last_session(attributes) >= time.time() - 3 * interval
    training = history.running()
    # A trial of a process that is gone (killed on this machine) runs no more, whatever its last note says.
    if recent and (not training or any(not surely_dead(record.owner) for record in training)):
        return "running"
    if not history.counted():
        return "new"
    noted = attributes.get(keys.TEST_SCORE)
    if best is not None and isinstance(noted, dict) and noted.get("trial") == best:
        return "finished"
    return "stopped"


def _last_session(attributes: dict[str, Any]) -> float:
    """When a session of the study last noted itself (by the study's clock), or 0."""
    ends = [value[1] for key, value in attributes.items() if key.startswith(keys.SESSION_PREFIX)]
    return max(ends, default=0.0)


def _last_activity(attributes: dict[str, Any], study: Any) -> str:
    times = [_last_session(attributes)]
    for trial in study.get_trials(deepcopy=False):
        for moment in (trial.datetime_start, trial.datetime_complete):
            if moment is not None:
                times.append(moment.timestamp())
    latest = max(times)
    return "" if not latest else datetime.datetime.fromtimestamp(latest).strftime("%Y-%m-%d %H:%M")
