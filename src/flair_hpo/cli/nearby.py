"""A folder given to ``show``, ``report``, ``train``, ``evaluate`` or ``predict`` that holds no search: the
searches below it or beside it are named, so that the next command is the right one."""

from __future__ import annotations

from pathlib import Path

from flair_hpo.errors import InputError

#: A search's folder holds its study (unless the study is in a database) and, once a trial finished, its best
#: configuration.
MARKERS = ("study.journal", "best-configuration.yaml")
#: Searches named at most.
SHOWN = 8


def is_search(folder: Path) -> bool:
    return any((folder / marker).is_file() for marker in MARKERS)


def searches_near(folder: Path) -> tuple[str, list[Path]]:
    """The searches two levels below ``folder`` ("below"), else those beside it in its parent ("beside")."""
    if folder.is_dir():
        below = sorted(p for pattern in ("*", "*/*") for p in folder.glob(pattern) if p.is_dir() and is_search(p))
        if below:
            return "below", below
    parent = folder.parent
    beside = (
        sorted(p for p in parent.glob("*") if p != folder and p.is_dir() and is_search(p)) if parent.is_dir() else []
    )
    return "beside", beside


def require_search(folder: Path, command: str, expected: str = "a search's folder") -> None:
    """Refuse a ``folder`` that is not a search's, in one line that names the searches near it, for ``command``
    (a search's folder that lacks what the command needs is left to the command to say)."""
    if is_search(folder):
        return
    problem = f"{folder} does not exist" if not folder.exists() else f"{folder} holds no flair-hpo search"
    where, found = searches_near(folder)
    if not found:
        raise InputError(f"{problem}: give {expected} (no folder below it or beside it holds a search)")
    names = ", ".join(str(path) for path in found[:SHOWN])
    if len(found) > SHOWN:
        names += f" and {len(found) - SHOWN} more"
    raise InputError(
        f"{problem}: give {expected}; the searches {where} it: {names} (e.g. flair-hpo {command} {found[0]})"
    )
