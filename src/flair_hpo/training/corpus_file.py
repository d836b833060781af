"""The corpus reference of a search, kept in its folder as ``corpus.yaml`` for ``flair-hpo train BASE_PATH``.

A corpus folder beside the search's folder is written relative to it, so the pair can be moved together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.errors import CorpusError
from flair_hpo.files import atomic_write_text, portable_path
from flair_hpo.training.corpus_reference import check_corpus_section

CORPUS_FILE = "corpus.yaml"
_HEADER = (
    "# The corpus this search ran on (flair-hpo train reads it). A relative folder is relative to the folder\n"
    "# of this file; on another machine, write where the corpus is there.\n"
)


def keep_corpus_reference(base_path: Path, section: Mapping[str, Any]) -> Path:
    """Write ``base_path/corpus.yaml`` unless it is there (a resumed search keeps what it started with)."""
    path = base_path / CORPUS_FILE
    if not path.exists():
        section = dict(section)
        if "folder" in section:
            section["folder"] = portable_path(section["folder"], base_path)
        if "columns" in section:  # YAML keys as written, numbers
            section["columns"] = {int(number): name for number, name in section["columns"].items()}
        atomic_write_text(path, _HEADER + yaml.safe_dump(section, sort_keys=False))
    return path


def read_corpus_reference(base_path: Path) -> dict[str, Any] | None:
    """The checked reference of ``base_path/corpus.yaml``, its folder made a path on this machine; None when
    the search has no such file; :class:`CorpusError` when its corpus folder is not on this machine."""
    path = base_path / CORPUS_FILE
    if not path.is_file():
        return None
    try:
        section = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CorpusError(f"{path}: not readable YAML: {error}") from None
    if isinstance(section, dict) and "folder" in section:
        folder = base_path / str(section["folder"])  # an absolute folder stays itself
        if not folder.is_dir():
            raise CorpusError(
                f"{path}: the corpus folder {section['folder']} ({os.path.normpath(folder)}) does not exist on this "
                f"machine; copy the corpus there, or write its place here into folder: in {path}"
            )
        section["folder"] = os.path.normpath(folder)
    try:
        return check_corpus_section(section)
    except CorpusError as error:
        raise CorpusError(f"{path}: {error}") from None
