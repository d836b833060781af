"""One entry of the embedding store on disk: ``KEY.vectors``, a flat file of float32 rows, and ``KEY.index``,
what the rows are (written last, so an entry exists only once it is complete).

An entry is checked when it is opened: an index that cannot be read, a vectors file whose size is not
``rows x dimension x 4`` bytes (a copy cut short, a disk that filled up), or vectors of the right size with the
wrong contents (zeroed by a failed copy or a bad disk) make the entry *damaged*; the store removes it and
computes it again rather than serving wrong vectors to every trial or letting every trial fail.

Contents are checked without reading the whole file (an entry may take gigabytes, and every process opens
it): the index holds a checksum of :data:`_SAMPLES` evenly spaced rows and the probe sentence's rows, and the
probe sentence's rows must equal what the live embedding computes for it (the store computes that probe on
every open anyway, to notice a changed model).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.files import atomic_write

if TYPE_CHECKING:
    from flair.data import Sentence
    from flair.embeddings import Embeddings

log = logging.getLogger("flair_hpo")

#: 2: the index holds a checksum of sampled rows; entries of format 1 have another key and are computed again.
FORMAT = 2
_BATCH = 32
#: Rows the checksum covers besides the probe sentence's: enough to notice a zeroed or overwritten stretch.
_SAMPLES = 64
_INDEX_KEYS = {
    "format",
    "name",
    "document_level",
    "dimension",
    "rows",
    "keys",
    "offsets",
    "probe_tokens",
    "probe",
    "checksum",
}


class DamagedEntry(Exception):
    """An entry whose files do not hold what its index says."""


def sentence_key(sentence: Sentence) -> str:
    """What a frozen embedding's vectors depend on: the sentence's tokens."""
    return hashlib.blake2b("\n".join(token.text for token in sentence).encode(), digest_size=12).hexdigest()


def is_document_level(embedding: Embeddings) -> bool:
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


def read_index(directory: Path, key: str) -> dict[str, Any]:
    """The index of entry ``key``; :class:`DamagedEntry` when it cannot be read or does not fit its vectors."""
    try:
        index = torch.load(directory / f"{key}.index", weights_only=True)
    except Exception as error:  # a truncated or foreign file: pickle, zip and torch errors alike
        raise DamagedEntry(f"its index cannot be read ({type(error).__name__})") from None
    if not isinstance(index, dict) or not set(index) >= _INDEX_KEYS or index["format"] != FORMAT:
        raise DamagedEntry("its index is not one this version writes")
    vectors = directory / f"{key}.vectors"
    expected = index["rows"] * index["dimension"] * 4
    actual = vectors.stat().st_size if vectors.exists() else None
    if actual != expected or len(index["offsets"]) != len(index["keys"]) + 1:
        raise DamagedEntry(f"its vectors file holds {actual} bytes, not {expected}")
    return index


def open_entry(directory: Path, key: str, index: dict[str, Any], live_probe: torch.Tensor) -> StoreEntry:
    """The entry's vectors, memory-mapped (shared with every process through the page cache), once their
    contents are checked against the index and ``live_probe``, the probe sentence's vectors that the live
    embedding computes; :class:`DamagedEntry` when they do not match."""
    rows, dimension = index["rows"], index["dimension"]
    vectors = torch.from_file(str(directory / f"{key}.vectors"), shared=False, size=rows * dimension)
    vectors = vectors.view(rows, dimension)
    offsets = index["offsets"].tolist()
    stored_probe = vectors[offsets[0] : offsets[1]]
    if stored_probe.shape != live_probe.shape or not same_vectors(stored_probe, live_probe):
        raise DamagedEntry("its vectors of the probe sentence are not the ones the embedding computes")
    if checksum(vectors, offsets) != index["checksum"]:
        raise DamagedEntry("its vectors do not match the checksum written with them")
    spans = {k: (offsets[i], offsets[i + 1]) for i, k in enumerate(index["keys"])}
    return StoreEntry(index["name"], index["document_level"], spans, vectors)


def same_vectors(stored: torch.Tensor, live: torch.Tensor) -> bool:
    """Whether ``live`` vectors equal ``stored`` ones up to the noise of recomputing them."""
    return torch.allclose(live, stored, rtol=1e-4, atol=1e-5)


def checksum(vectors: torch.Tensor, offsets: list[int]) -> str:
    """A hash of :data:`_SAMPLES` evenly spaced rows and the probe sentence's rows (the first sentence's):
    cheap to compute on every open, whatever the entry's size."""
    last = vectors.shape[0] - 1
    picked = {round(i * last / (_SAMPLES - 1)) for i in range(_SAMPLES)} | set(range(offsets[0], offsets[1]))
    return hashlib.sha256(vectors[sorted(picked)].numpy().tobytes()).hexdigest()


def remove_entry(directory: Path, key: str) -> None:
    for suffix in (".index", ".vectors"):
        (directory / f"{key}{suffix}").unlink(missing_ok=True)


def entry_size(embedding: Embeddings, unique: dict[str, Sentence]) -> int:
    """Bytes the entry of ``embedding`` over ``unique`` sentences takes."""
    rows = len(unique) if is_document_level(embedding) else sum(len(s) for s in unique.values())
    return rows * embedding.embedding_length * 4


def write_entry(
    directory: Path, key: str, embedding: Embeddings, unique: dict[str, Sentence], label: str
) -> dict[str, Any]:
    """Compute the vectors of every sentence once, write the entry (its index last) and return its index."""
    document_level = is_document_level(embedding)
    keys = list(unique)
    lengths = [1 if document_level else len(unique[k]) for k in keys]
    rows, dimension = sum(lengths), embedding.embedding_length
    log.info("computing %s once for %d sentences (%.2f GB)", label, len(keys), rows * dimension * 4 / 1024**3)
    offsets = [0]
    for length in lengths:
        offsets.append(offsets[-1] + length)
    # The first sentence is the probe: its rows are stored as computed on its own, as every open computes it.
    probe_tokens = [token.text for token in unique[keys[0]]]
    probe_vectors = probe(embedding, probe_tokens)
    sums: list[str] = []

    def write_vectors(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            handle.truncate(rows * dimension * 4)
        # A shared mapping writes through to the file: the vectors never sit in process memory.
        vectors = torch.from_file(str(tmp), shared=True, size=rows * dimension).view(rows, dimension)
        vectors[offsets[0] : offsets[1]] = probe_vectors
        # Sentences of similar length batched together: little padding for a transformer to compute.
        order = sorted(range(1, len(keys)), key=lambda i: len(unique[keys[i]]))
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            for i, matrix in zip(batch, embed(embedding, [unique[keys[i]] for i in batch]), strict=True):
                vectors[offsets[i] : offsets[i + 1]] = matrix
        sums.append(checksum(vectors, offsets))
        del vectors

    atomic_write(directory / f"{key}.vectors", write_vectors, private=True)
    index = {
        "format": FORMAT,
        "name": embedding.name,
        "document_level": document_level,
        "dimension": dimension,
        "rows": rows,
        "keys": keys,
        "offsets": torch.tensor(offsets),
        "probe_tokens": probe_tokens,
        "probe": probe_vectors,
        "checksum": sums[0],
    }
    atomic_write(directory / f"{key}.index", lambda tmp: torch.save(index, tmp), private=True)
    return index


def fits(directory: Path, size: int, max_bytes: int, label: str) -> bool:
    """Whether an entry of ``size`` bytes may be written: under ``max_bytes`` and 1 GB short of the free disk."""
    free = shutil.disk_usage(directory).free
    if size <= min(max_bytes, free - 2**30):
        return True
    log.warning(
        "%s over this corpus takes %.2f GB (limit %.2f GB, %.2f GB free): it is not stored, so every trial computes it",
        label,
        size / 1024**3,
        max_bytes / 1024**3,
        free / 1024**3,
    )
    return False


def make_room(directory: Path, size: int, total_bytes: int, keep: str) -> None:
    """Remove the entries used longest ago until ``size`` more bytes keep the folder under ``total_bytes``
    (an entry another process has open stays readable by it: its mapping outlives the file's name)."""
    entries = [(path.stat().st_mtime, path.stem) for path in directory.glob("*.index") if path.stem != keep]
    used = sum(path.stat().st_size for path in directory.glob("*.vectors"))
    for _, key in sorted(entries):
        if used + size <= total_bytes:
            return
        vectors = directory / f"{key}.vectors"
        used -= vectors.stat().st_size if vectors.exists() else 0
        remove_entry(directory, key)
        log.info("the embedding cache is full: removed entry %s, used longest ago", key)


def embed(embedding: Embeddings, sentences: list[Sentence]) -> list[torch.Tensor]:
    """The vectors ``embedding`` gives ``sentences`` (one row per sentence or per token), left off them."""
    was_training = embedding.training
    embedding.eval()  # frozen vectors without dropout: the same in every trial
    try:
        with torch.no_grad():
            embedding.embed(sentences)
        name, matrices = embedding.name, []
        for sentence in sentences:
            if is_document_level(embedding):
                matrices.append(sentence.get_embedding([name]).detach().float().cpu().view(1, -1))
            else:
                matrices.append(torch.stack([t.get_embedding([name]) for t in sentence]).detach().float().cpu())
            sentence.clear_embeddings([name])
        return matrices
    finally:
        embedding.train(was_training)


def probe(embedding: Embeddings, tokens: list[str]) -> torch.Tensor:
    """The vectors of one sentence, embedded on its own: a fingerprint of the model behind the embedding."""
    from flair.data import Sentence

    return embed(embedding, [Sentence(tokens)])[0]
