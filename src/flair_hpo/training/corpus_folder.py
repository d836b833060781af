"""A corpus folder read without a YAML file: its splits found by Flair's rules, its format told from its files.

FastText lines are text classification, anything else a column file (words first, tags last). What Flair would
refuse or misread later is refused here, before torch loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flair_hpo.errors import CorpusError
from flair_hpo.space import SEQUENCE_LABELING, TEXT_CLASSIFICATION
from flair_hpo.training.split_files import find_split_files

CLASSIFICATION = "classification"
COLUMN = "column"
#: What FastText lines start with (Flair's ClassificationCorpus reads them).
LABEL_PREFIX = "__label__"
#: ColumnCorpus users' usual tag type, and ClassificationCorpus's default label type.
DEFAULT_TAG_TYPE = "ner"
DEFAULT_LABEL_TYPE = "class"
TASKS = {CLASSIFICATION: TEXT_CLASSIFICATION, COLUMN: SEQUENCE_LABELING}


@dataclass(frozen=True)
class FolderCorpus:
    """A corpus folder read: its reference (a ``corpus:`` section), its task and the label type to predict."""

    section: dict[str, Any]
    task: str
    label_type: str


def training_file(folder: Path, name: str | None = None) -> Path:
    """The training file Flair would read in ``folder`` (``name`` if given); :class:`CorpusError` if none."""
    if not folder.is_dir():
        raise CorpusError(f"corpus: the folder {folder} does not exist")
    train = find_split_files(folder, name).train
    if train is not None and not train.is_file():
        raise CorpusError(f"corpus: there is no training file {train}")
    if train is None:
        names = ", ".join(sorted(p.name for p in folder.iterdir())[:5]) or "nothing"
        raise CorpusError(
            f"corpus: {folder} has no training file (Flair reads the file with 'train' in its name, e.g. "
            f"train.txt; the folder holds {names})"
        )
    return train


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.strip() and not line.startswith("-DOCSTART-"):
                return line.strip()
    raise CorpusError(f"corpus: the training file {path} is empty")


def detect_format(folder: Path, train_file: str | None = None) -> str:
    """``classification`` for FastText lines, else ``column``."""
    return CLASSIFICATION if _first_line(training_file(folder, train_file)).startswith(LABEL_PREFIX) else COLUMN


def parse_columns(text: str) -> dict[int, str]:
    """``"0:text,1:ner"`` as ``{0: "text", 1: "ner"}``."""
    columns: dict[int, str] = {}
    for part in text.split(","):
        number, _, name = part.strip().partition(":")
        if not number.strip().isdigit() or not name.strip():
            raise CorpusError(f"--columns: write column number:name pairs, e.g. 0:text,1:ner; not {text!r}")
        columns[int(number)] = name.strip()
    return columns


def column_count(folder: Path, train_file: str | None = None) -> int:
    """The columns of the first line of the training file (split on white space, as ColumnCorpus splits)."""
    return len(_first_line(training_file(folder, train_file)).split())


def column_defaults(folder: Path, tag_type: str | None, train_file: str | None = None) -> dict[int, str]:
    """The columns of a CoNLL file as ColumnCorpus users write them: the text first, the tags last."""
    count = column_count(folder, train_file)
    if count < 2:
        raise CorpusError(
            f"corpus: the training file of {folder} has one column; a column file has the words and their tags "
            "(give --columns, e.g. 0:text,1:ner), and FastText lines start with __label__"
        )
    return {0: "text", count - 1: tag_type or DEFAULT_TAG_TYPE}


def check_columns_exist(folder: Path, columns: Mapping[Any, Any], given: str, train_file: str | None = None) -> None:
    """Every column number named (``given``: where, ``--columns`` or ``corpus: columns``) is one of the files'."""
    count = column_count(folder, train_file)
    beyond = sorted(int(n) for n in columns if str(n).isdigit() and int(n) >= count)
    if beyond:
        raise CorpusError(
            f"{given}: column {beyond[0]} does not exist (the files have {count} column{'s' * (count != 1)}, "
            f"numbered from 0)"
        )


def check_two_labels(folder: Path, train_file: str | None = None) -> None:
    """A classifier needs two labels or more in its training file (read up to the second label found)."""
    path = training_file(folder, train_file)
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            for word in line.split():  # the labels lead the line, as ClassificationCorpus reads them
                if not word.startswith(LABEL_PREFIX):
                    break
                seen.add(word.removeprefix(LABEL_PREFIX))
            if len(seen) > 1:
                return
    if len(seen) == 1:
        raise CorpusError(f"corpus: {path} has one label, {seen.pop()}: a classifier needs two or more")


def read_corpus_folder(
    folder: str | Path,
    columns: dict[int, str] | None = None,
    tag_type: str | None = None,
    label_type: str | None = None,
) -> FolderCorpus:
    """The reference, task and label type of a corpus folder, its format told from its files."""
    folder = Path(folder)
    corpus_format = detect_format(folder)
    if corpus_format == CLASSIFICATION:
        if columns or tag_type:
            raise CorpusError(
                f"corpus: {folder} holds FastText lines (__label__X text), a classification corpus; --columns "
                "and --tag-type are for column files (use --label-type to name its labels)"
            )
        label = label_type or DEFAULT_LABEL_TYPE
        section = {"folder": str(folder), "format": CLASSIFICATION, "label_type": label}
        return FolderCorpus(section, TEXT_CLASSIFICATION, label)
    if label_type:
        raise CorpusError(f"corpus: {folder} holds column files (sequence labeling); give --tag-type, not --label-type")
    if columns:
        check_columns_exist(folder, columns, "--columns")
    columns = columns or column_defaults(folder, tag_type)
    tags = [name for name in columns.values() if name != "text"]
    label = tag_type or (tags[0] if len(tags) == 1 else None)
    if label is None:
        raise CorpusError(
            f"corpus: which column to predict? --columns names {', '.join(tags) or 'no tags'}; give --tag-type NAME"
        )
    if label not in tags:
        raise CorpusError(f"--tag-type: {label} is not among the columns you named: {', '.join(tags) or 'none'}")
    return FolderCorpus({"folder": str(folder), "format": COLUMN, "columns": columns}, SEQUENCE_LABELING, label)


def completed_section(section: Any, tag_type: str | None) -> Any:
    """A folder's ``corpus:`` section with the format and columns it leaves out told from its files."""
    if not isinstance(section, dict) or "folder" not in section or not Path(str(section["folder"])).is_dir():
        return section
    folder = Path(str(section["folder"]))
    train_file = section["train_file"] if isinstance(section.get("train_file"), str) else None
    section = dict(section)
    if "format" not in section:
        section["format"] = COLUMN if "columns" in section else detect_format(folder, train_file)
    if section["format"] == COLUMN and "columns" not in section:
        section["columns"] = column_defaults(folder, tag_type, train_file)
    elif section["format"] == COLUMN and isinstance(section["columns"], Mapping):
        check_columns_exist(folder, section["columns"], "corpus: columns", train_file)
    if section["format"] == CLASSIFICATION:
        check_two_labels(folder, train_file)
    return section


def sampled_splits(section: Mapping[str, Any], corpus: Any) -> str | None:
    """A sentence for people when Flair set aside part of the training file as dev or test; else None."""
    if "folder" not in section:
        return None
    names = [section.get(key) for key in ("train_file", "dev_file", "test_file")]
    files = find_split_files(section["folder"], *names)
    sampled = {
        name: len(split)
        for name, file, split in (("dev", files.dev, corpus.dev), ("test", files.test, corpus.test))
        if file is None and split is not None
    }
    if not sampled:
        return None
    train = files.train.name if files.train else "the training file"
    return (
        f"{section['folder']} has no {' or '.join(sampled)} file: Flair set aside "
        f"{' and '.join(f'{count} sentences as {name}' for name, count in sampled.items())} from {train}, at random "
        "(the same ones on every run)"
    )
