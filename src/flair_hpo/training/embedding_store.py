"""Frozen embeddings computed once per study and served to every trial that uses them.

Why: over frozen transformer embeddings, almost all of a trial's time goes into computing the very
vectors the previous trial computed. Flair keeps vectors only within one training run; this store keeps
them for the whole study, for every worker process of the machine, and across a resume.

How: each *frozen* embedding of a model (Flair's ``static_embeddings``: not fine-tuned, no sentence
context) gets an entry in ``base_path/embeddings``, keyed by its class, its constructor arguments, its
Flair name and dimension, and the texts of the corpus. The first worker that needs an entry computes the
vectors of every sentence of the corpus once (the other workers wait on a file lock) into a flat file of
float32 rows; the entry's index is written last, so an entry exists only once it is complete. Trials read
the file memory-mapped: the vectors are shared by all worker processes through the OS page cache and are
never copied into a trial.

While a trial trains, :meth:`EmbeddingStore.serving` replaces the embedding's ``_add_embeddings_internal``
on that one instance: Flair's own ``embed()`` then takes each sentence's vectors from the entry (a
sentence the corpus does not hold is computed as usual). The replacement is removed when training ends,
so the model that is saved is plain Flair.

Never stale: before an entry is used by a process, a probe sentence is embedded by the live embedding and
compared with the stored vectors; a different model behind the same name or path rebuilds the entry.

Bounded: an entry takes ``rows x dimension x 4`` bytes on disk (a row per token for word embeddings, per
sentence for document embeddings; WNUT_17 with MiniLM: 0.16 GB). An entry larger than ``max_gb``
(default 16) or than the free disk space is not written: that embedding is computed in every trial, as
Flair does without the store, and the log says so. Memory use does not depend on the entry size: pages
the OS evicts are read from disk again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.errors import InputError
from flair_hpo.files import atomic_write, file_lock
from flair_hpo.space.embedding_specs import spec_from_instance, spec_label

if TYPE_CHECKING:
    from flair.data import Sentence
    from flair.embeddings import Embeddings

log = logging.getLogger("flair_hpo")

STORE_DIR = "embeddings"
_BATCH = 32
_FORMAT = 1


def frozen_embeddings(embeddings: Embeddings) -> list[Embeddings]:
    """The embeddings inside ``embeddings`` whose vectors never change during training.

    Stacks and document embeddings built on word embeddings (RNN, pooling, CNN) are looked into: their
    own layers train, the word embeddings below them may be frozen. A leaf is frozen when Flair marks it
    static and it does not read neighbouring sentences (``use_context``).
    """
    inner = getattr(embeddings, "embeddings", None)
    if isinstance(inner, list | torch.nn.ModuleList):
        return [leaf for embedding in inner for leaf in frozen_embeddings(embedding)]
    if isinstance(inner, torch.nn.Module):
        return frozen_embeddings(inner)
    if getattr(embeddings, "static_embeddings", False) and not getattr(embeddings, "context_length", 0):
        return [embeddings]
    return []


def sentence_key(sentence: Sentence) -> str:
    """What a frozen embedding's vectors depend on: the sentence's tokens."""
    return hashlib.blake2b("\n".join(token.text for token in sentence).encode(), digest_size=12).hexdigest()


def _is_document_level(embedding: Embeddings) -> bool:
    return embedding.embedding_type == "sentence-level"


@dataclass
class StoreEntry:
    """The stored vectors of one frozen embedding over one corpus."""

    name: str
    document_level: bool
    rows: dict[str, tuple[int, int]]
    vectors: torch.Tensor

    def serve(self, sentences: list[Sentence], compute: Callable[[list[Sentence]], Any]) -> None:
        """Attach stored vectors to ``sentences`` on Flair's device; ``compute`` the ones the entry does not hold."""
        import flair

        missing = []
        for sentence in sentences:
            span = self.rows.get(sentence_key(sentence))
            if span is None:
                missing.append(sentence)
                continue
            # One copy per sentence to a GPU (none on the CPU, where the rows stay memory-mapped).
            rows = self.vectors[span[0] : span[1]].to(flair.device)
            if self.document_level:
                sentence.set_embedding(self.name, rows[0])
            else:
                for token, vector in zip(sentence, rows, strict=True):
                    token.set_embedding(self.name, vector)
        if missing:
            compute(missing)


class EmbeddingStore:
    """The embedding store of one study, in ``directory`` (``base_path/embeddings``).

    Example::

        store = EmbeddingStore(base_path / "embeddings")
        with store.serving(model.embeddings, corpus_sentences):
            ModelTrainer(model, corpus).train(...)
    """

    def __init__(self, directory: str | Path, max_gb: float = 16.0) -> None:
        self.directory = Path(directory)
        self.max_bytes = int(max_gb * 1024**3)
        self._entries: dict[str, StoreEntry | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Opened entries are memory maps of this process; another process opens its own.
        return {**self.__dict__, "_entries": {}}

    @contextlib.contextmanager
    def serving(self, embeddings: Embeddings, sentences: Iterable[Sentence]) -> Iterator[list[str]]:
        """Serve the frozen embeddings inside ``embeddings`` from the store while the block runs.

        Yields the Flair names of the embeddings served.
        """
        served: list[Embeddings] = []
        sentences = list(sentences)  # read once per frozen embedding
        try:
            for embedding in frozen_embeddings(embeddings):
                entry = self.entry(embedding, sentences)
                if entry is None:
                    continue
                compute = embedding._add_embeddings_internal
                # An instance attribute shadows the class's method for this object only.
                embedding.__dict__["_add_embeddings_internal"] = lambda batch, e=entry, c=compute: e.serve(batch, c)
                served.append(embedding)
            yield [embedding.name for embedding in served]
        finally:
            for embedding in served:
                embedding.__dict__.pop("_add_embeddings_internal", None)

    def entry(self, embedding: Embeddings, sentences: Iterable[Sentence]) -> StoreEntry | None:
        """The entry of ``embedding`` over ``sentences``, computed if no worker has done it yet."""
        unique = {sentence_key(s): s for s in sentences if len(s) > 0}
        try:
            spec = spec_from_instance(embedding)
        except InputError:  # an embedding built without recorded arguments cannot be identified safely
            log.debug("%s is not stored: its arguments are unknown", embedding.name, exc_info=True)
            return None
        key = self._entry_key(spec, embedding, unique)
        if key not in self._entries:
            self.directory.mkdir(parents=True, exist_ok=True)
            with file_lock(self.directory / f"{key}.lock"):
                self._entries[key] = self._open_or_build(key, embedding, unique, spec_label(spec))
        return self._entries[key]

    # ------------------------------------------------------------------------------ internals
    @staticmethod
    def _entry_key(spec: dict[str, Any], embedding: Embeddings, unique: dict[str, Sentence]) -> str:
        texts = hashlib.sha256("".join(sorted(unique)).encode()).hexdigest()
        identity = {
            "format": _FORMAT,
            "spec": spec,
            "name": embedding.name,
            "dimension": embedding.embedding_length,
            "texts": texts,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]

    def _open_or_build(
        self, key: str, embedding: Embeddings, unique: dict[str, Sentence], label: str
    ) -> StoreEntry | None:
        index_path = self.directory / f"{key}.index"
        if index_path.exists():
            index = torch.load(index_path, weights_only=True)
            if torch.allclose(_probe(embedding, index["probe_tokens"]), index["probe"], rtol=1e-4, atol=1e-5):
                return self._open(key, index)
            log.warning("the stored vectors of %s no longer match the embedding; computing them again", label)
            index_path.unlink()
        return self._build(key, embedding, unique, label)

    def _open(self, key: str, index: dict[str, Any]) -> StoreEntry:
        rows, dimension = index["rows"], index["dimension"]
        vectors = torch.from_file(str(self.directory / f"{key}.vectors"), shared=False, size=rows * dimension)
        offsets = index["offsets"].tolist()
        spans = {k: (offsets[i], offsets[i + 1]) for i, k in enumerate(index["keys"])}
        return StoreEntry(index["name"], index["document_level"], spans, vectors.view(rows, dimension))

    def _build(self, key: str, embedding: Embeddings, unique: dict[str, Sentence], label: str) -> StoreEntry | None:
        document_level = _is_document_level(embedding)
        keys = list(unique)
        lengths = [1 if document_level else len(unique[k]) for k in keys]
        rows, dimension = sum(lengths), embedding.embedding_length
        size = rows * dimension * 4
        free = shutil.disk_usage(self.directory).free
        if not keys or size > min(self.max_bytes, free - 2**30):
            log.warning(
                "%s over this corpus takes %.2f GB (limit %.2f GB, %.2f GB free): it is not stored, so every "
                "trial computes it",
                label,
                size / 1024**3,
                self.max_bytes / 1024**3,
                free / 1024**3,
            )
            return None
        log.info("computing %s once for %d sentences (%.2f GB)", label, len(keys), size / 1024**3)
        offsets = [0]
        for length in lengths:
            offsets.append(offsets[-1] + length)

        def write_vectors(tmp: Path) -> None:
            with tmp.open("wb") as handle:
                handle.truncate(size)
            # A shared mapping writes through to the file: the vectors never sit in process memory.
            vectors = torch.from_file(str(tmp), shared=True, size=rows * dimension).view(rows, dimension)
            # Sentences of similar length batched together: little padding for a transformer to compute.
            order = sorted(range(len(keys)), key=lambda i: len(unique[keys[i]]))
            for start in range(0, len(order), _BATCH):
                batch = order[start : start + _BATCH]
                for i, matrix in zip(batch, _embed(embedding, [unique[keys[i]] for i in batch]), strict=True):
                    vectors[offsets[i] : offsets[i + 1]] = matrix
            del vectors

        atomic_write(self.directory / f"{key}.vectors", write_vectors)
        index = {
            "format": _FORMAT,
            "name": embedding.name,
            "document_level": document_level,
            "dimension": dimension,
            "rows": rows,
            "keys": keys,
            "offsets": torch.tensor(offsets),
            "probe_tokens": [token.text for token in unique[keys[0]]],
        }
        index["probe"] = _probe(embedding, index["probe_tokens"])
        atomic_write(self.directory / f"{key}.index", lambda tmp: torch.save(index, tmp))
        return self._open(key, index)


def _embed(embedding: Embeddings, sentences: list[Sentence]) -> list[torch.Tensor]:
    """The vectors ``embedding`` gives ``sentences`` (one row per sentence or per token), left off them."""
    was_training = embedding.training
    embedding.eval()  # frozen vectors without dropout: the same in every trial
    try:
        with torch.no_grad():
            embedding.embed(sentences)
        name, matrices = embedding.name, []
        for sentence in sentences:
            if _is_document_level(embedding):
                matrices.append(sentence.get_embedding([name]).detach().float().cpu().view(1, -1))
            else:
                matrices.append(torch.stack([t.get_embedding([name]) for t in sentence]).detach().float().cpu())
            sentence.clear_embeddings([name])
        return matrices
    finally:
        embedding.train(was_training)


def _probe(embedding: Embeddings, tokens: list[str]) -> torch.Tensor:
    """The vectors of one sentence, embedded on its own: a fingerprint of the model behind the embedding."""
    from flair.data import Sentence

    return _embed(embedding, [Sentence(tokens)])[0]
