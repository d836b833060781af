"""Corpora named by a reference that any process can load: a class of ``flair.datasets`` or a folder of files.

Stored with a study, so that workers on other machines load the same corpus. Example::

    corpus: {dataset: WNUT_17}                              # any flair.datasets class, with args: {...}
    corpus: {folder: data/ner, format: column, columns: {0: text, 1: ner}}

``downsample: 0.1`` keeps a fraction of every split; ``seed`` (default 1) makes Flair's random splits repeatable.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flair_hpo.checks import is_whole_number
from flair_hpo.errors import CorpusError, did_you_mean

_KEYS = {
    "dataset",
    "args",
    "folder",
    "format",
    "columns",
    "label_type",
    "downsample",
    "seed",
    "train_file",
    "dev_file",
    "test_file",
}
_FORMATS = ("column", "classification")


def check_corpus_section(section: Any) -> dict[str, Any]:
    """Check a ``corpus:`` section without loading anything."""
    if not isinstance(section, Mapping):
        raise CorpusError("corpus: give {dataset: NAME} or {folder: PATH, format: column|classification}")
    for key in section:
        if key not in _KEYS:
            raise CorpusError(f"corpus: unknown key '{key}'{did_you_mean(key, _KEYS)}")
    if ("dataset" in section) == ("folder" in section):
        raise CorpusError("corpus: give either dataset: NAME (a flair.datasets class) or folder: PATH")
    if "dataset" in section:
        import flair.datasets

        name = str(section["dataset"])
        dataset = getattr(flair.datasets, name, None)
        if not isinstance(dataset, type):
            known = [n for n in dir(flair.datasets) if n.isupper() or n[:1].isupper()]
            raise CorpusError(f"corpus: flair.datasets has no dataset '{name}'{did_you_mean(name, known)}")
        _check_arguments(dataset, section.get("args", {}))
    else:
        folder = Path(section["folder"])
        if not folder.is_dir():
            raise CorpusError(f"corpus: the folder {folder} does not exist")
        corpus_format = section.get("format", "column")
        if corpus_format not in _FORMATS:
            raise CorpusError(f"corpus: format must be column or classification, not {corpus_format!r}")
        if corpus_format == "column":
            _check_columns(section.get("columns"))
    if not is_whole_number(section.get("seed", 1)):
        raise CorpusError(f"corpus: seed must be a whole number, not {section.get('seed')!r}")
    for key in ("train_file", "dev_file", "test_file", "label_type"):
        if key in section and (not isinstance(section[key], str) or not section[key]):
            raise CorpusError(f"corpus: {key} must be a file name, not {section[key]!r}")
    fraction = section.get("downsample", 1.0)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise CorpusError(f"corpus: downsample must be a fraction in (0, 1], not {fraction!r}")
    return dict(section)


def _check_arguments(dataset: type, arguments: Any) -> None:
    if not isinstance(arguments, Mapping):
        raise CorpusError(f"corpus: args must be a mapping of keyword arguments, not {arguments!r}")
    accepted = inspect.signature(dataset.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    for key in arguments:
        if key not in accepted or key == "self":
            known = [name for name in accepted if name != "self"]
            raise CorpusError(
                f"corpus: {dataset.__name__} takes no argument '{key}' (it takes {', '.join(known)})"
                f"{did_you_mean(str(key), known)}"
            )


def _check_columns(columns: Any) -> None:
    usage = (
        "corpus: a column corpus needs columns: {0: text, 1: ner} (column number: name); for FastText files "
        "(__label__X text) give format: classification"
    )
    if not isinstance(columns, Mapping) or not columns:
        raise CorpusError(usage)
    for number, name in columns.items():
        if not (is_whole_number(number) or (isinstance(number, str) and number.isdigit())) or not isinstance(name, str):
            raise CorpusError(f"{usage}, not {number!r}: {name!r}")


def load_corpus(section: Mapping[str, Any]) -> Any:
    """Load the corpus a checked ``corpus:`` section names; what Flair cannot read is a :class:`CorpusError`."""
    try:
        return _load(section)
    except CorpusError:
        raise
    except (OSError, ValueError, RuntimeError, IndexError, KeyError, TypeError) as error:
        where = section.get("dataset") or section.get("folder")
        raise CorpusError(f"corpus: Flair cannot load {where}: {type(error).__name__}: {error}") from None


def _load(section: Mapping[str, Any]) -> Any:
    import flair
    import flair.datasets

    flair.set_seed(int(section.get("seed", 1)))
    files = {key: section[key] for key in ("train_file", "dev_file", "test_file") if key in section}
    if "dataset" in section:
        corpus = getattr(flair.datasets, section["dataset"])(**dict(section.get("args", {})))
    elif section.get("format", "column") == "column":
        columns = {int(number): name for number, name in section["columns"].items()}
        corpus = flair.datasets.ColumnCorpus(section["folder"], column_format=columns, **files)
    else:
        label_type = section.get("label_type", "class")
        # In memory: Flair's default ("partial") parses every line again each time a trial's epoch reads it,
        # which costs more than training a head over stored embeddings.
        corpus = flair.datasets.ClassificationCorpus(
            section["folder"], label_type=label_type, memory_mode="full", **files
        )
    if section.get("downsample", 1.0) < 1.0:
        corpus = corpus.downsample(section["downsample"])
    return corpus
