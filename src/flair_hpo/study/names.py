"""Which study a search is: named after its folder unless a name is given (the MLflow experiment and the W&B
group take the same name), as Optuna's CLI and W&B sweeps name each search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage

from flair_hpo.errors import InputError
from flair_hpo.records import keys
from flair_hpo.study.storages import JOURNAL_FILE, open_storage, redact

#: The name of every study of flair-hpo versions that did not name studies after their folder.
EARLIER_DEFAULT = "flair-hpo"


def folder_name(base_path: str | Path) -> str:
    """The default name of the study in ``base_path``: the folder's own name."""
    return Path(base_path).resolve().name or EARLIER_DEFAULT


def searches_in(storage: BaseStorage) -> list[Any]:
    """The flair-hpo studies of ``storage`` in the order they were created, half-created ones included."""
    ours = (keys.SEARCH_SPACE, keys.CREATOR)
    return [study for study in storage.get_all_studies() if any(key in study.system_attrs for key in ours)]


def study_name_for(
    storage: str | BaseStorage | None, base_path: str | Path, given: str | None = None, *, reading: bool = False
) -> str:
    """The name of the study of the search in ``base_path``: ``given``; else the one named after the folder;
    else the one search the folder's journal holds (an earlier version's ``flair-hpo`` included); else the
    folder's name. ``reading``: a study that is not there is an :class:`InputError` listing those there."""
    if given:
        return given
    base_path = Path(base_path)
    own = folder_name(base_path)
    backend = _opened(storage, base_path)
    found = [study.study_name for study in searches_in(backend)] if backend is not None else []
    if own in found:
        return own
    if len(found) == 1 and (storage is None or reading):  # a folder holds one search, whatever its name
        return found[0]
    if EARLIER_DEFAULT in found and _earlier_search_here(backend, base_path):
        return EARLIER_DEFAULT
    if not reading:
        return own
    where = redact(storage) if isinstance(storage, str) else base_path / JOURNAL_FILE
    if not found:
        raise InputError(f"{where} holds no flair-hpo search")
    raise InputError(
        f"{where} holds {len(found)} searches ({', '.join(found)}) and none named {own!r}: give --study NAME"
    )


def _opened(storage: str | BaseStorage | None, base_path: Path) -> BaseStorage | None:
    """The storage opened for reading; None for a journal file that does not exist (yet)."""
    if storage is None and not (base_path / JOURNAL_FILE).is_file():
        return None
    return open_storage(storage, base_path, heartbeat_interval=None)


def _earlier_search_here(storage: BaseStorage, base_path: Path) -> bool:
    """Whether the ``flair-hpo`` study of a shared storage is this folder's: it stored this folder as its
    base_path, or the folder holds a search's files (it is not a new one)."""
    study_id = storage.get_study_id_from_name(EARLIER_DEFAULT)
    stored = (storage.get_study_system_attrs(study_id).get(keys.RUN) or {}).get("base_path")
    if stored is not None and Path(stored) == base_path.resolve():
        return True
    return base_path.is_dir() and any(base_path.iterdir())
