"""Frozen embeddings computed once and served, memory-mapped, to every trial of every study on the machine.

Why: over frozen transformer embeddings, almost all of a trial's time goes into computing the vectors the
previous trial computed. How entries are keyed, checked and bounded: docs/speed.md and docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.checks import is_real_number
from flair_hpo.errors import CacheDamagedError, InputError, SettingsError
from flair_hpo.files import file_lock, remove_stale_temporaries
from flair_hpo.flair_internals import shadow_vector_computation, unshadow_vector_computation, vector_computation
from flair_hpo.space.embedding_specs import spec_from_instance, spec_label
from flair_hpo.training.environment import cache_directory, cache_gb
from flair_hpo.training.store_files import (
    FORMAT,
    DamagedEntry,
    StoreEntry,
    fits,
    make_room,
    open_entry,
    probe,
    read_index,
    remove_entry,
    same_vectors,
    sentence_key,
)
from flair_hpo.training.store_writer import compute_entry, reserve_file

if TYPE_CHECKING:
    from flair.data import Sentence
    from flair.embeddings import Embeddings

log = logging.getLogger("flair_hpo")


def store_for(setting: bool | str | Path) -> EmbeddingStore | None:
    """The store ``embedding_store=`` asks for: the machine's cache (True), a folder, or none (False)."""
    if setting is False:
        return None
    return EmbeddingStore(cache_directory() if setting is True else setting)


def frozen_embeddings(embeddings: Embeddings) -> list[Embeddings]:
    """The embeddings inside ``embeddings`` whose vectors never change during training.

    Stacks and document embeddings are looked into; a leaf is frozen when Flair marks it static and it does not
    read neighbouring sentences (``use_context``).
    """
    inner = getattr(embeddings, "embeddings", None)
    if isinstance(inner, list | torch.nn.ModuleList):
        return [leaf for embedding in inner for leaf in frozen_embeddings(embedding)]
    if isinstance(inner, torch.nn.Module):
        return frozen_embeddings(inner)
    if getattr(embeddings, "static_embeddings", False) and not getattr(embeddings, "context_length", 0):
        return [embeddings]
    return []


class EmbeddingStore:
    """Frozen embeddings computed once, in ``directory`` (by default the machine's cache).

    Example::

        store = EmbeddingStore(cache_directory())
        with store.serving(model.embeddings, corpus_sentences):
            ModelTrainer(model, corpus).train(...)

    Args:
        max_gb: the largest entry written; a larger embedding is computed per trial.
        total_gb: what the folder may hold in all (``$FLAIR_HPO_CACHE_GB``, else 64); older entries make room.
    """

    def __init__(self, directory: str | Path, max_gb: float = 16.0, total_gb: float | None = None) -> None:
        total = cache_gb() if total_gb is None else total_gb
        for name, value in (("max_gb", max_gb), ("total_gb", total)):
            if not is_real_number(value) or value <= 0:
                raise SettingsError(f"{name} must be a number of gigabytes above 0, not {value!r}")
        self.directory = Path(directory)
        self.max_bytes = int(max_gb * 1024**3)
        self.total_bytes = int(total * 1024**3)
        self._entries: dict[str, StoreEntry | None] = {}
        self._cleaned = False
        self._damaged: set[str] = set()  # entries this process found damaged and computed anew

    def __getstate__(self) -> dict[str, Any]:
        # Opened entries are memory maps of this process; another process opens its own.
        return {**self.__dict__, "_entries": {}}

    @contextlib.contextmanager
    def serving(self, embeddings: Embeddings, sentences: Iterable[Sentence]) -> Iterator[list[str]]:
        """Serve the frozen embeddings inside ``embeddings`` while the block runs; yields their Flair names."""
        served: list[Embeddings] = []
        sentences = list(sentences)  # read once per frozen embedding
        try:
            for embedding in frozen_embeddings(embeddings):
                entry = self.entry(embedding, sentences)
                if entry is None:
                    continue
                compute = vector_computation(embedding)
                shadow_vector_computation(embedding, lambda batch, e=entry, c=compute: e.serve(batch, c))
                served.append(embedding)
            yield [embedding.name for embedding in served]
        finally:
            for embedding in served:
                unshadow_vector_computation(embedding)

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
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._cleaned:  # what killed writers left behind
                remove_stale_temporaries(self.directory)
                self._cleaned = True
            with file_lock(self.directory / f"{key}.lock"):
                self._entries[key] = self._open_or_build(key, embedding, unique, spec_label(spec))
        return self._entries[key]

    def check_served(self, failure: BaseException) -> None:
        """Check again every entry this process serves, after a trial failed with ``failure``: a damaged one is
        removed and raises :class:`CacheDamagedError` (a fault of the machine)."""
        for key, entry in list(self._entries.items()):
            if entry is None or (at := entry.damage()) is None:
                continue
            del self._entries[key]
            entry.remove()
            again = key in self._damaged
            self._damaged.add(key)
            where = f"the embedding cache entry of {entry.name} in {self.directory}"
            raise CacheDamagedError(
                f"{where} changed on disk from {at / 1024**2:.0f} MB on while a trial used it"
                + (f" again, after it was computed anew{_FAILING_DISK}" if again else "; it is computed anew"),
                again,
            ) from failure

    # ------------------------------------------------------------------------------ internals
    @staticmethod
    def _entry_key(spec: dict[str, Any], embedding: Embeddings, unique: dict[str, Sentence]) -> str:
        texts = hashlib.sha256("".join(sorted(unique)).encode()).hexdigest()
        identity = {
            "format": FORMAT,
            "spec": spec,
            "name": embedding.name,
            "dimension": embedding.embedding_length,
            "texts": texts,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]

    def _open_or_build(
        self, key: str, embedding: Embeddings, unique: dict[str, Sentence], label: str
    ) -> StoreEntry | None:
        if (self.directory / f"{key}.index").exists():
            try:
                index = read_index(self.directory, key)
                live = probe(embedding, index["probe_tokens"])
                if same_vectors(index["probe"], live):
                    entry = open_entry(self.directory, key, index, live)  # its contents checked against `live`
                    os.utime(self.directory / f"{key}.index")  # used now: the last the cache removes
                    return entry
                log.warning("the stored vectors of %s no longer match the embedding; computing them again", label)
            except DamagedEntry as damage:
                if key in self._damaged:
                    raise CacheDamagedError(
                        f"the embedding cache entry of {label} in {self.directory} is damaged again ({damage}) after "
                        f"it was computed anew{_FAILING_DISK}",
                        again=True,
                    ) from None
                self._damaged.add(key)
                log.warning("the stored vectors of %s are damaged (%s); computing them again", label, damage)
            remove_entry(self.directory, key)
        if not unique:
            return None
        index = compute_entry(
            self.directory, key, embedding, unique, label, lambda path, size: self._reserve(path, size, key, label)
        )
        # Just written and its checksums read back from disk: not read a second time.
        return None if index is None else open_entry(self.directory, key, index, index["probe"], verify=False)

    def _reserve(self, path: Path, size: int, key: str, label: str) -> bool:
        """Allocate ``size`` bytes to ``path`` if the entry fits, one process at a time (reservations count)."""
        with file_lock(self.directory / _SPACE_LOCK):
            if not fits(self.directory, size, self.max_bytes, label):
                return False
            make_room(self.directory, size, self.total_bytes, keep=key)
            reserve_file(path, size)
            return True


#: The lock under which an entry's disk space is checked and reserved.
_SPACE_LOCK = "space.lock"
_FAILING_DISK = (
    ": the disk under it may be failing. Check it (or move the cache: FLAIR_HPO_CACHE, embedding_store=PATH), "
    "or search without the cache (embedding_store=False), and run the same command again"
)
