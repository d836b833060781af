"""The speed features: the embedding store, pruning and parallel workers, on real Flair training."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import optuna
import pytest
import torch
from optuna.trial import TrialState

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.errors import InputError
from flair_hpo.flair_internals import VECTOR_COMPUTATION
from flair_hpo.records import keys
from flair_hpo.study.storages import open_storage
from flair_hpo.training.embedding_store import EmbeddingStore, frozen_embeddings
from flair_hpo.training.pruning import make_pruner

from .helpers import steered, vectors_of

pytestmark = pytest.mark.integration


def leaderboard(base_path: Path) -> list[dict[str, str]]:
    with open(base_path / "leaderboard.csv", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def count_embedded_sentences(monkeypatch, embedding_class) -> Counter:
    """Count the sentences ``embedding_class`` really computes (not served from the store)."""
    counts: Counter = Counter()
    original = getattr(embedding_class, VECTOR_COMPUTATION)

    def counting(self, sentences):
        counts["sentences"] += len(sentences)
        return original(self, sentences)

    monkeypatch.setattr(embedding_class, VECTOR_COMPUTATION, counting)
    return counts


# ------------------------------------------------------------------------------------ embedding store
@pytest.mark.parametrize("level", ["word", "document"])
def test_the_store_serves_the_vectors_flair_computes(level, wnut_corpus, minilm_path, tmp_path):
    from flair.embeddings import TransformerDocumentEmbeddings, TransformerWordEmbeddings

    cls = TransformerWordEmbeddings if level == "word" else TransformerDocumentEmbeddings
    embedding = cls(minilm_path, fine_tune=False)
    sentences = list(wnut_corpus.get_all_sentences())
    expected = [vectors_of(embedding, s) for s in sentences[:5]]

    store = EmbeddingStore(tmp_path)
    with store.serving(embedding, sentences) as served:
        assert served == [embedding.name]
        served_vectors = [vectors_of(embedding, s) for s in sentences[:5]]
    for got, want in zip(served_vectors, expected, strict=True):
        assert got.shape == want.shape and torch.allclose(got, want, atol=1e-5)
    # Flair's method is back once the block ends, so the saved model is plain Flair.
    assert VECTOR_COMPUTATION not in embedding.__dict__
    assert len(list(tmp_path.glob("*.index"))) == 1


def test_each_variant_gets_its_own_entry_and_fine_tuned_ones_none(trec_corpus, trec_vectors, minilm_path, tmp_path):
    from flair.embeddings import (
        DocumentRNNEmbeddings,
        TransformerDocumentEmbeddings,
        TransformerWordEmbeddings,
        WordEmbeddings,
    )

    sentences = list(trec_corpus.get_all_sentences())[:120]  # what is stored is per variant, not per size
    store = EmbeddingStore(tmp_path)
    variants = [
        TransformerDocumentEmbeddings(minilm_path, fine_tune=False, cls_pooling="cls"),
        TransformerDocumentEmbeddings(minilm_path, fine_tune=False, cls_pooling="mean"),
        TransformerDocumentEmbeddings(minilm_path, fine_tune=False, layers="-1,-2"),
    ]
    entries = [store.entry(v, sentences) for v in variants]
    assert len({id(e) for e in entries}) == 3 and len(list(tmp_path.glob("*.index"))) == 3
    assert not torch.allclose(entries[0].vectors, entries[1].vectors)
    # Another corpus (here: a part of it) is another entry.
    store.entry(variants[0], sentences[:60])
    assert len(list(tmp_path.glob("*.index"))) == 4

    # What is stored: frozen leaves, looked up inside stacks and document RNNs; never fine-tuned ones.
    words = WordEmbeddings(str(trec_vectors))
    assert frozen_embeddings(DocumentRNNEmbeddings([words], hidden_size=8)) == [words]
    # Every frozen embedding of a stack is served, from a generator of sentences as trials pass it.
    transformer_words = TransformerWordEmbeddings(minilm_path, fine_tune=False)
    stacked = DocumentRNNEmbeddings([words, transformer_words], hidden_size=8)
    with store.serving(stacked, trec_corpus.get_all_sentences()) as served:
        assert served == [words.name, transformer_words.name]
    assert frozen_embeddings(TransformerDocumentEmbeddings(minilm_path, fine_tune=True)) == []
    assert frozen_embeddings(TransformerWordEmbeddings(minilm_path, fine_tune=False, use_context=True)) == []


def test_stale_vectors_are_never_served(trec_corpus, tmp_path):
    """The same path with other vectors behind it: the probe notices and the entry is computed again."""
    from flair.embeddings import WordEmbeddings
    from gensim.models import Word2Vec

    texts = [[t.text for t in s] for s in trec_corpus.get_all_sentences()]
    path = tmp_path / "vectors.kv"
    Word2Vec(texts, vector_size=16, min_count=1, epochs=1, seed=1, workers=1).wv.save(str(path))
    sentences = list(trec_corpus.get_all_sentences())
    EmbeddingStore(tmp_path / "store").entry(WordEmbeddings(str(path)), sentences)

    Word2Vec(texts, vector_size=16, min_count=1, epochs=1, seed=2, workers=1).wv.save(str(path))
    fresh = WordEmbeddings(str(path))
    expected = vectors_of(fresh, sentences[0])
    with EmbeddingStore(tmp_path / "store").serving(fresh, sentences):
        assert torch.allclose(vectors_of(fresh, sentences[0]), expected)


@pytest.mark.parametrize("damage", ["truncated vectors", "garbled index"])
def test_a_damaged_entry_is_computed_again(damage, trec_corpus, trec_vectors, tmp_path, caplog):
    """A vectors file cut short or an index that cannot be read is removed and computed again, once, with a
    warning: no trial fails on it."""
    from flair.embeddings import WordEmbeddings

    sentences = list(trec_corpus.get_all_sentences())
    EmbeddingStore(tmp_path).entry(WordEmbeddings(str(trec_vectors)), sentences)
    (index,) = tmp_path.glob("*.index")
    if damage == "truncated vectors":
        vectors = index.with_suffix(".vectors")
        vectors.write_bytes(vectors.read_bytes()[:1000])
    else:
        index.write_bytes(b"not an index")
    fresh = WordEmbeddings(str(trec_vectors))
    expected = vectors_of(fresh, sentences[3])
    with caplog.at_level("WARNING", logger="flair_hpo"), EmbeddingStore(tmp_path).serving(fresh, sentences) as served:
        assert served == [fresh.name] and torch.allclose(vectors_of(fresh, sentences[3]), expected)
    assert sum("damaged" in record.getMessage() for record in caplog.records) == 1
    assert index.exists() and index.with_suffix(".vectors").stat().st_size > 1000


def test_the_cache_removes_the_entries_used_longest_ago(trec_corpus, trec_vectors, minilm_path, tmp_path):
    from flair.embeddings import WordEmbeddings

    sentences = list(trec_corpus.get_all_sentences())
    words = WordEmbeddings(str(trec_vectors))
    one = EmbeddingStore(tmp_path)
    one.entry(words, sentences)
    one.entry(words, sentences[:50])
    sizes = sorted(p.stat().st_size for p in tmp_path.glob("*.vectors"))
    # Room for the larger entry and not much more: a third entry pushes out the one used longest ago.
    small = EmbeddingStore(tmp_path, total_gb=(sizes[1] + sizes[0] // 2) / 1024**3)
    small.entry(words, sentences[:50])  # used now: the full-corpus entry is the older one
    small.entry(words, sentences[:60])
    assert len(list(tmp_path.glob("*.index"))) == 2
    assert sorted(p.stat().st_size for p in tmp_path.glob("*.vectors"))[-1] < sizes[1]  # the big one went


def test_an_entry_over_the_limit_is_not_stored(trec_corpus, trec_vectors, tmp_path):
    from flair.embeddings import WordEmbeddings

    embedding = WordEmbeddings(str(trec_vectors))
    store = EmbeddingStore(tmp_path, max_gb=1e-6)
    with store.serving(embedding, trec_corpus.get_all_sentences()) as served:
        assert served == []
    assert list(tmp_path.glob("*.vectors")) == []


def tutorial_space(minilm_path: str, runs: int, epochs: int, learning_rates: list[float]):
    search_space = steered(search_spaces.TextClassifierSearchSpace(), (parameter.Budget.RUNS, runs), epochs=epochs)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=learning_rates)
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm_path])
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    return search_space


def test_a_search_computes_each_frozen_embedding_once(trec_corpus, minilm_path, tmp_path, monkeypatch):
    from flair.embeddings import TransformerDocumentEmbeddings

    counts = count_embedded_sentences(monkeypatch, TransformerDocumentEmbeddings)
    sentences = len(list(trec_corpus.get_all_sentences()))

    def search(runs: int, store: bool, base_path: Path):
        space = tutorial_space(minilm_path, runs, 2, [0.1, 0.05, 0.02])
        runner = orchestrator.Orchestrator(
            trec_corpus, base_path, space, search_strategies.GridSearch(), embedding_store=store
        )
        runner.optimize()
        return counts.pop("sentences", 0)

    computed = search(2, True, tmp_path / "store")
    # Once for every sentence (plus the probe sentence); the final test evaluation computes test again.
    assert computed <= sentences + 1 + len(trec_corpus.test)
    # Resuming with a larger budget trains one more trial on the stored vectors: only the probe is computed.
    computed = search(3, True, tmp_path / "store")
    assert computed <= 1 + len(trec_corpus.test)

    computed_plain = search(2, False, tmp_path / "plain")
    assert computed_plain >= 2 * (len(trec_corpus.train) + len(trec_corpus.dev))
    # The same configurations score alike with and without the store.
    with_store = {
        row["ModelTrainer.learning_rate"]: float(row["dev micro_f1_score"]) for row in leaderboard(tmp_path / "store")
    }
    plain = {
        row["ModelTrainer.learning_rate"]: float(row["dev micro_f1_score"]) for row in leaderboard(tmp_path / "plain")
    }
    for rate, score in plain.items():
        assert abs(with_store[rate] - score) <= 0.1


def test_a_second_study_on_the_same_corpus_computes_nothing(trec_corpus, minilm_path, tmp_path, monkeypatch):
    """The machine's embedding cache serves every study: another study (another space, another strategy) on
    the same corpus and embedding starts training at once."""
    from flair.embeddings import TransformerDocumentEmbeddings

    monkeypatch.setenv("FLAIR_HPO_CACHE", str(tmp_path / "machine-cache"))
    counts = count_embedded_sentences(monkeypatch, TransformerDocumentEmbeddings)
    first = tutorial_space(minilm_path, 1, 1, [0.1])
    orchestrator.Orchestrator(trec_corpus, tmp_path / "first", first, search_strategies.GridSearch()).optimize()
    assert counts.pop("sentences") >= len(trec_corpus.train) + len(trec_corpus.dev)
    second = tutorial_space(minilm_path, 2, 2, [0.2, 0.05])
    orchestrator.Orchestrator(
        trec_corpus, tmp_path / "second", second, search_strategies.RandomSearch(seed=3)
    ).optimize()
    # Only the probe sentence (checking the entry) and the final model's test evaluation are computed.
    assert counts.pop("sentences", 0) <= 1 + len(trec_corpus.test)
    assert list((tmp_path / "machine-cache" / "embeddings").glob("*.index"))
    assert not (tmp_path / "first" / "embeddings").exists()


# ---------------------------------------------------------------------------------------------- pruning
def test_pruning_stops_hopeless_trials(trec_corpus, minilm_path, tmp_path):
    space = tutorial_space(minilm_path, 6, 3, [0.2, 0.1, 0.05, 1e-5, 2e-5, 5e-6])
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path / "pruned", space, search_strategies.GridSearch(), pruner="successive_halving"
    ).optimize()
    rows = leaderboard(tmp_path / "pruned")
    pruned = [row for row in rows if row["status"] == "pruned"]
    assert len(rows) == 6 and pruned and result.trials["pruned"] == len(pruned)
    assert all(int(row["epochs"]) < 3 and row["dev micro_f1_score"] != "" for row in pruned)
    assert sum(int(row["epochs"]) for row in rows) < 6 * 3
    scores = [float(row["dev micro_f1_score"]) for row in rows]
    assert result.dev_score == pytest.approx(max(scores), abs=1e-4) and rows[0]["rank"] == "1"
    assert "stopped after epoch" in (tmp_path / "pruned" / "flair-hpo.log").read_text()


def test_pruner_settings():
    from optuna import pruners

    assert isinstance(make_pruner("auto", 2), pruners.SuccessiveHalvingPruner)
    assert isinstance(make_pruner("auto", 1), pruners.NopPruner)
    assert isinstance(make_pruner(None, 10), pruners.NopPruner)
    assert isinstance(make_pruner("hyperband", 10), pruners.HyperbandPruner)
    custom = pruners.MedianPruner()
    assert make_pruner(custom, 5) is custom
    with pytest.raises(InputError, match="did you mean 'hyperband'"):
        make_pruner("hyperbande", 5)


# ---------------------------------------------------------------------------------------------- workers
def test_two_workers_train_every_grid_point_once(trec_corpus, minilm_path, tmp_path):
    space = tutorial_space(minilm_path, 10, 2, [0.2, 0.1, 0.05, 0.02])
    base_path = tmp_path / "workers"
    runner = orchestrator.Orchestrator(
        trec_corpus, base_path, space, search_strategies.GridSearch(), embedding_store=tmp_path / "cache", pruner="none"
    )
    result = runner.optimize(workers=2)
    rows = leaderboard(base_path)
    assert sorted(row["ModelTrainer.learning_rate"] for row in rows) == ["0.02", "0.05", "0.1", "0.2"]
    assert {row["status"] for row in rows} == {"complete"} and result.trials["complete"] == 4
    log_text = (base_path / "flair-hpo.log").read_text()
    # One worker computed the embedding while the other waited for it.
    assert log_text.count("computing TransformerDocumentEmbeddings(") == 1
    storage = open_storage(None, base_path)
    trials = optuna.load_study(study_name="workers", storage=storage).get_trials(states=(TrialState.COMPLETE,))
    # Both workers trained (a trial one opened for a configuration the other had just taken is closed unused).
    assert len({trial.user_attrs[keys.OWNER]["pid"] for trial in trials}) == 2
    assert result.test_score is not None and list(base_path.glob(".workers-*")) == []


def test_worker_settings_are_checked_before_training(trec_corpus, minilm_path, tmp_path):
    space = tutorial_space(minilm_path, 2, 1, [0.1])
    runner = orchestrator.Orchestrator(trec_corpus, tmp_path / "w", space, search_strategies.GridSearch())
    for bad in (-1, 1.5, "2", True):
        with pytest.raises(InputError, match="workers must be a whole number"):
            runner.optimize(workers=bad)
    storage_object = optuna.storages.InMemoryStorage()
    runner = orchestrator.Orchestrator(
        trec_corpus, tmp_path / "w", space, search_strategies.GridSearch(), storage=storage_object
    )
    with pytest.raises(InputError, match="storage as a URL"):
        runner.optimize(workers=2)
    assert not (tmp_path / "w").exists()


def test_the_corpus_is_out_of_the_collectors_sight_while_trials_train_and_given_back_after(
    trec_corpus, trec_vectors, tmp_path, monkeypatch
):
    """docs/speed.md "Little between trials": while a search trains, what lived at its start (the corpus among
    it) is frozen (``gc.freeze``), so collecting a trial's garbage does not walk it; afterwards it is unfrozen."""
    import gc

    from flair_hpo.orchestration.progress import ProgressDisplay

    from .helpers import small_trec_search

    sentence = trec_corpus.train[0]

    def in_sight() -> bool:  # the collector's generations list what it walks; frozen objects are not in them
        return any(o is sentence for o in gc.get_objects())

    seen_during = []
    original = ProgressDisplay.epoch_ended

    def epoch_ended(self, event):
        seen_during.append(in_sight())
        original(self, event)

    monkeypatch.setattr(ProgressDisplay, "epoch_ended", epoch_ended)
    assert in_sight()
    before = gc.get_freeze_count()
    small_trec_search(trec_corpus, tmp_path / "search", trec_vectors, runs=2).optimize(quiet=True)
    assert seen_during == [False] * 4  # 2 trials of 2 epochs
    assert in_sight() and gc.get_freeze_count() == before  # given back: what died meanwhile can be collected
