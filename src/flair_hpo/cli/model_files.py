"""A model's folder, as a search or ``flair-hpo train`` leaves it: its model file, the corpus its ``corpus.yaml``
names, its configuration's metric and its scores (``train``, ``evaluate`` and ``predict`` read them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flair_hpo.cli.nearby import require_search
from flair_hpo.errors import InputError

#: The model files of a folder, in the order they are taken (named as flair_hpo.results.best names them).
MODEL_FILES = ("best-model.pt", "final-model.pt")
#: Where the configuration a folder's model was trained with is, in the order it is looked for.
CONFIGURATION_FILES = ("best-configuration.yaml", "configuration.yaml")


@dataclass
class SplitScore:
    """A model's score on one split, with Flair's evaluation (its detailed report)."""

    split: str
    metric: str
    score: float
    sentences: int
    result: Any


def model_file(path: Path, command: str) -> Path:
    """The model of a folder (or the file given); one line naming the searches near it when there is none."""
    if path.is_file():
        return path
    for name in MODEL_FILES:
        if (path / name).is_file():
            return path / name
    require_search(path, command)
    raise InputError(f"{path} holds no {' or '.join(MODEL_FILES)}: no trial of that search has finished yet")


def load_model(path: Path) -> Any:
    """The text classifier or sequence tagger saved at ``path``, read as a file (never looked up on a hub)."""
    import torch
    from flair.models import SequenceTagger, TextClassifier

    from flair_hpo.training.flair_console import flair_console_quieted

    try:
        state = torch.load(path, map_location="cpu", weights_only=False)  # a model file, as Flair loads it
    except (OSError, RuntimeError, EOFError, ValueError) as error:
        raise InputError(f"{path} cannot be read as a Flair model ({type(error).__name__}: {error})") from None
    kind = {"TextClassifier": TextClassifier, "SequenceTagger": SequenceTagger}.get(
        state.get("__cls__") if isinstance(state, dict) else None
    )
    if kind is None:
        raise InputError(f"{path} is not a text classifier or sequence tagger saved by Flair")
    with flair_console_quieted():
        return kind.load(state)


def score_splits(model: Any, corpus: Any, splits: tuple[str, ...], metric: Any) -> list[SplitScore]:
    """``model``'s score on each non-empty split of ``corpus`` by the search's evaluation ``metric``."""
    from flair_hpo.space import parameter_enums as p
    from flair_hpo.training.flair_console import flair_console_quieted
    from flair_hpo.training.scoring import Objective

    objective = Objective(metric, p.OptimizationValue.DEV_SCORE)
    scores = []
    for split in splits:
        sentences = getattr(corpus, split)
        if sentences is None or len(sentences) == 0:
            continue
        with flair_console_quieted():
            score, result = objective.evaluate(model, sentences, model.label_type)
        scores.append(SplitScore(split, metric.value, score, len(sentences), result))
    return scores


def search_metric(folder: Path) -> Any:
    """The evaluation metric of the configuration in ``folder`` (micro-F1 when there is none)."""
    from flair_hpo.space import Configuration
    from flair_hpo.space import parameter_enums as p

    for name in CONFIGURATION_FILES:
        if (folder / name).is_file():
            return Configuration.load(folder / name).evaluation_metric
    return p.EvaluationMetric.MICRO_F1_SCORE


def folder_corpus(folder: Path) -> tuple[dict[str, Any], Any]:
    """The corpus reference of ``folder/corpus.yaml``, and the corpus loaded with Flair's console quiet."""
    from flair_hpo.training.corpus_file import CORPUS_FILE, keep_corpus_reference, read_corpus_reference

    reference = read_corpus_reference(folder)
    if reference is None:
        from flair_hpo.results.study_view import stored_corpus

        stored = stored_corpus(folder)
        if stored is None:
            raise InputError(
                f"{folder} has no {CORPUS_FILE}, and no study that names its corpus (the search was given a corpus "
                "object in Python): give --corpus-from CONFIG.yaml, a run file whose corpus: names it"
            )
        keep_corpus_reference(folder, stored)
        reference = read_corpus_reference(folder)
    return reference, loaded_corpus(reference)


def loaded_corpus(reference: dict[str, Any]) -> Any:
    """The corpus of ``reference``, Flair's console quiet; a split Flair sampled from train is said."""
    from flair_hpo.training.corpus_folder import sampled_splits
    from flair_hpo.training.corpus_reference import load_corpus
    from flair_hpo.training.flair_console import flair_console_quieted

    with flair_console_quieted(logging.ERROR):  # Flair's note on a sampled split: said below, with its file
        corpus = load_corpus(reference)
    note = sampled_splits(reference, corpus)
    if note:
        print(note, flush=True)
    return corpus
