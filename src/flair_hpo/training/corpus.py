"""What a search needs from its corpus (checked before anything is trained or written), and the views of a
corpus a trial trains on."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from flair_hpo.errors import CorpusError
from flair_hpo.space import SEQUENCE_LABELING, SearchSpace

if TYPE_CHECKING:
    import flair


def _label_types(sentences: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sentence in sentences:
        for label_type in sentence.annotation_layers:
            counts[label_type] = counts.get(label_type, 0) + 1
    return counts


def check_corpus(corpus: Any, space: SearchSpace) -> str:
    """Check ``corpus`` fits ``space`` (non-empty train and dev, the label type in train) and return the label
    type to predict (a text classifier's detected when the corpus has just one)."""
    from flair.data import Corpus

    if not isinstance(corpus, Corpus):
        raise CorpusError(
            f"corpus must be a flair.data.Corpus (e.g. flair.datasets.TREC_6()), not {type(corpus).__name__}"
        )
    if corpus.train is None or len(corpus.train) == 0:
        raise CorpusError("the corpus has no training sentences")
    if corpus.dev is None or len(corpus.dev) == 0:
        raise CorpusError(
            "the corpus has no dev split, and configurations are selected on dev; give the corpus a dev split "
            "(Flair samples 10% of train as dev when it is created with sample_missing_splits=True)"
        )
    present = _label_types(corpus.train)
    wanted = getattr(space, "tag_type", None) if space.task == SEQUENCE_LABELING else getattr(space, "label_type", None)
    if wanted is None:
        if len(present) != 1:
            found = ", ".join(sorted(present)) or "none"
            raise CorpusError(
                f"cannot tell which label type to predict (the corpus has: {found}); call add_label_type(...)"
            )
        wanted = next(iter(present))
    if wanted not in present:
        found = ", ".join(f"'{t}'" for t in sorted(present)) or "no labels at all"
        what = "tag type" if space.task == SEQUENCE_LABELING else "label type"
        raise CorpusError(f"the corpus has no {what} '{wanted}' in its train split; it has {found}")
    if space.task != SEQUENCE_LABELING:
        _check_two_labels(corpus.train, wanted)
    return wanted


def _check_two_labels(sentences: Any, label_type: str) -> None:
    seen: set[str] = set()
    for sentence in sentences:
        seen.update(label.value for label in sentence.get_labels(label_type))
        if len(seen) > 1:
            return
    raise CorpusError(f"the train split has one label, {seen.pop()}: a classifier needs two or more")


def label_dictionary(corpus: flair.data.Corpus, label_type: str) -> flair.data.Dictionary:
    """The labels a model predicts, from the train split."""
    return corpus.make_label_dictionary(label_type, add_unk=False)


def corpus_fingerprint(corpus: flair.data.Corpus, label_type: str) -> dict[str, Any]:
    """Split sizes and a hash of the dev split: a resumed search must score on the same dev sentences."""
    digest = hashlib.sha256()
    for sentence in corpus.dev:
        gold = sorted(f"{label.unlabeled_identifier}={label.value}" for label in sentence.get_labels(label_type))
        digest.update("\t".join([sentence.to_original_text(), *gold]).encode("utf-8") + b"\n")
    return {
        "train": len(corpus.train),
        "dev": len(corpus.dev),
        "test": len(corpus.test) if corpus.test is not None else 0,
        "dev_sha256": digest.hexdigest()[:16],
    }


def reset_corpus(corpus: flair.data.Corpus) -> None:
    """Drop stored vectors and Flair's ``predicted`` labels from sentences: no trial may see another's."""
    for split in (corpus.train, corpus.dev, corpus.test):
        if split is not None:
            for sentence in split:
                sentence.clear_embeddings()
                sentence.remove_labels("predicted")


def without_test(corpus: flair.data.Corpus) -> flair.data.Corpus:
    """The corpus minus its test split: trials never look at test."""
    from flair.data import Corpus

    return Corpus(train=corpus.train, dev=corpus.dev, test=None, name=corpus.name, sample_missing_splits=False)
