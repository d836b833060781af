"""Earlier studies on this machine, and the warm start a new search may take from them.

When a search finishes, a small JSON file per study (its task, objective and best configurations; no model or
text) is kept in ``$FLAIR_HPO_CACHE/studies``. With ``warm_start=True`` a new search of the same task first
trains the best configuration of the most recent earlier studies that has a counterpart in its space. Off by
default (docs/search-quality.md).

Example::

    orchestrator = Orchestrator(corpus, "runs/wnut", space, BayesianSearch(), warm_start=True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flair_hpo.errors import MachineError, SettingsError
from flair_hpo.files import atomic_write_text
from flair_hpo.records import History
from flair_hpo.search.settings import RunSettings
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.starts import projected_start
from flair_hpo.study.storages import redact
from flair_hpo.training.environment import cache_directory

log = logging.getLogger("flair_hpo")

#: The version of a study's record; a record of another version is not read.
FORMAT = 1
#: How many configurations of a study its record keeps, best first.
KEPT = 20
#: How many earlier studies a warm start takes a configuration from, the most recent first.
WARM_STARTS = 2


@dataclass(frozen=True)
class EarlierStudy:
    """What a finished study left for later ones: its task and its configurations, best first."""

    task: str
    label_type: str
    objective: str
    finished: float
    ranked: list[dict[str, Label]]
    source: str = ""  # the study this came from, as the log names it

    @classmethod
    def of(cls, space: SearchSpace, label_type: str, objective: str, history: History, source: str) -> EarlierStudy:
        ranked = [dict(score.labels) for score in history.configurations()[:KEPT]]
        return cls(space.task, label_type, objective, time.time(), ranked, source)


def study_source(settings: RunSettings) -> str:
    """Which study a record is of: its storage (without a password) or base_path, and its name."""
    storage = settings.storage
    where = redact(storage) if isinstance(storage, str) else str(settings.base_path.resolve())
    return f"{where}#{settings.study_name}"


def _record_path(folder: Path, source: str) -> Path:
    return folder / f"{hashlib.sha256(source.encode()).hexdigest()[:24]}.json"


def remember(study: EarlierStudy, folder: Path | None = None) -> Path | None:
    """Write ``study``'s record into the machine's cache (or ``folder``); None, with a warning, when it cannot."""
    if not study.ranked:
        return None
    try:
        folder = folder or cache_directory("studies")
        folder.mkdir(parents=True, exist_ok=True)
        path = _record_path(folder, study.source)
        record = {"format": FORMAT, **dataclasses.asdict(study)}
        atomic_write_text(path, json.dumps(record, sort_keys=True) + "\n")
    except (SettingsError, MachineError, OSError) as error:  # the search is done; only later warm starts lose it
        log.warning("this study is not kept for later warm starts: %s", error)
        return None
    return path


def earlier_studies(space: SearchSpace, source: str, folder: Path | None = None) -> list[EarlierStudy]:
    """The records of other studies of ``space``'s task, the most recent first; unreadable ones are skipped."""
    folder = folder or cache_directory("studies")
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.pop("format", None) != FORMAT:
                continue
            study = EarlierStudy(**record)
        except (OSError, ValueError, TypeError) as error:
            log.debug("record %s skipped: %s", path, error)
            continue
        if study.source != source and study.task == space.task:
            found.append(study)
    return sorted(found, key=lambda s: s.finished, reverse=True)


def warm_starts(space: SearchSpace, studies: list[EarlierStudy], count: int = WARM_STARTS) -> list[dict[str, Any]]:
    """The best configuration of each of the first ``count`` studies, projected onto ``space``, without repeats."""
    starts: dict[str, dict[str, Any]] = {}
    for study in studies:
        if len(starts) == count:
            break
        for labels in study.ranked[:1]:
            projected = projected_start(space.dimensions, labels)
            if projected is not None:
                starts.setdefault(configuration_key(projected), projected)
    return list(starts.values())


def _readable_studies(space: SearchSpace, source: str) -> list[EarlierStudy]:
    try:
        studies = earlier_studies(space, source)
    except SettingsError as error:  # an unwritable cache: no earlier study to learn from
        log.warning("no warm start: %s", error)
        return []
    if not studies:
        log.info("warm start: no earlier %s study on this machine", space.task)
    return studies


def warm_starts_for(space: SearchSpace, source: str) -> list[dict[str, Any]]:
    """What a search of ``space`` (study ``source``) with ``warm_start=True`` trains first, logged."""
    studies = _readable_studies(space, source)
    starts = warm_starts(space, studies)
    if studies:
        log.info(
            "warm start: %d configuration(s) from %d earlier %s studies on this machine, trained first",
            len(starts),
            len(studies),
            space.task,
        )
    return starts


def search_starts(space: SearchSpace, settings: RunSettings) -> tuple[dict[str, Label], ...]:
    """What a search trains first, each once: the space's starts, then (``warm_start``) earlier studies' best."""
    starts = {configuration_key(start): start for start in space.starts}
    if settings.warm_start:
        for start in warm_starts_for(space, study_source(settings)):
            starts.setdefault(configuration_key(start), start)
    return tuple(starts.values())
