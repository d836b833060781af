"""The embedding store's integrity: vectors of the right size with the wrong contents are never served."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from flair_hpo.training.embedding_store import EmbeddingStore

from .helpers import vectors_of

pytestmark = pytest.mark.integration


def zeroed(fraction_kept: float) -> Callable[[Path], None]:
    """Zero a vectors file in place from ``fraction_kept`` of its length to its end, as a failed copy or a bad
    disk would: the same file, the same size."""

    def damage(path: Path) -> None:
        size = path.stat().st_size
        start = int(size * fraction_kept) // 4 * 4
        with path.open("r+b") as handle:
            handle.seek(start)
            handle.write(bytes(size - start))
        assert path.stat().st_size == size

    return damage


def reopened(corpus, make_embedding, folder: Path, damage, caplog) -> tuple[list[str], bool]:
    """Fill an entry, ``damage`` its vectors file, open it again in a fresh store and check that every served
    vector is the live embedding's. Returns the warnings logged, and whether the entry was computed again."""
    sentences = list(corpus.get_all_sentences())
    EmbeddingStore(folder).entry(make_embedding(), sentences)
    (index,) = folder.glob("*.index")
    vectors = index.with_suffix(".vectors")
    if damage is not None:
        damage(vectors)
    written = vectors.stat().st_ino

    fresh = make_embedding()
    picked = [sentences[0], sentences[len(sentences) // 2], sentences[-1]]
    expected = [vectors_of(fresh, s) for s in picked]
    caplog.clear()
    with caplog.at_level("WARNING", logger="flair_hpo"), EmbeddingStore(folder).serving(fresh, sentences) as served:
        assert served == [fresh.name]
        for sentence, want in zip(picked, expected, strict=True):
            assert torch.allclose(vectors_of(fresh, sentence), want, atol=1e-5)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    return warnings, vectors.stat().st_ino != written


def test_a_zeroed_vectors_file_is_computed_again(trec_corpus, trec_vectors, tmp_path, caplog):
    """The whole file zeroed: the probe sentence's stored rows are not what the embedding computes."""
    from flair.embeddings import WordEmbeddings

    warnings, again = reopened(trec_corpus, lambda: WordEmbeddings(str(trec_vectors)), tmp_path, zeroed(0), caplog)
    assert again and len(warnings) == 1, warnings
    assert "damaged" in warnings[0] and "probe sentence" in warnings[0], warnings


def test_rows_away_from_the_probe_are_checked_by_the_checksum(trec_corpus, trec_vectors, tmp_path, caplog):
    """The second half of the file zeroed: the probe sentence (the first) is intact, sampled rows are not."""
    from flair.embeddings import WordEmbeddings

    warnings, again = reopened(trec_corpus, lambda: WordEmbeddings(str(trec_vectors)), tmp_path, zeroed(0.5), caplog)
    assert again and len(warnings) == 1, warnings
    assert "damaged" in warnings[0] and "checksum" in warnings[0], warnings


def test_a_sound_entry_is_served_as_it_is(trec_corpus, minilm_path, tmp_path, caplog):
    """The checks do not take a transformer's recomputing noise for damage: a sound entry is not rebuilt."""
    from flair.embeddings import TransformerDocumentEmbeddings

    def minilm():
        return TransformerDocumentEmbeddings(minilm_path, fine_tune=False)

    warnings, again = reopened(trec_corpus, minilm, tmp_path, None, caplog)
    assert warnings == [] and not again
