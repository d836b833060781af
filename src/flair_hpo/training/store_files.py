"""One entry of the embedding store on disk (``KEY.vectors``, float32 rows; ``KEY.index``, written last), and
its checks when opened: a damaged entry is removed and computed again rather than served."""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from filelock import FileLock, Timeout

from flair_hpo.training.store_integrity import byte_view, first_mismatch

if TYPE_CHECKING:
    from flair.data import Sentence
    from flair.embeddings import Embeddings

log = logging.getLogger("flair_hpo")

#: 3: the index holds a checksum of every block; entries of earlier formats have another key and are computed again.
FORMAT = 3
#: The free space an entry leaves on its disk: 1 GB, or a twentieth of a smaller disk.
_HEADROOM_BYTES, _HEADROOM_SHARE = 2**30, 20
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
    "block_bytes",
    "blocks",
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
    #: The file the vectors are mapped from, as it was opened (its inode), and the checksums of its blocks.
    path: Path
    inode: int
    blocks: list[int]
    block_bytes: int

    def damage(self) -> int | None:
        """The byte offset where the mapped vectors no longer hold what was written, or None; every block checked."""
        return first_mismatch(byte_view(self.vectors), self.blocks, self.block_bytes)

    def remove(self) -> None:
        """Remove the entry's files, unless they were replaced by a new entry since this one was opened."""
        try:
            if self.path.stat().st_ino != self.inode:
                return
        except OSError:
            return
        remove_entry(self.path.parent, self.path.stem)

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


def open_entry(
    directory: Path, key: str, index: dict[str, Any], live_probe: torch.Tensor, verify: bool = True
) -> StoreEntry:
    """The entry's vectors, memory-mapped, once checked against the index and ``live_probe`` (the probe
    sentence's live vectors); :class:`DamagedEntry` when they do not match."""
    rows, dimension = index["rows"], index["dimension"]
    path = directory / f"{key}.vectors"
    inode = path.stat().st_ino
    vectors = torch.from_file(str(path), shared=False, size=rows * dimension).view(rows, dimension)
    offsets = index["offsets"].tolist()
    stored_probe = vectors[offsets[0] : offsets[1]]
    if stored_probe.shape != live_probe.shape or not same_vectors(stored_probe, live_probe):
        raise DamagedEntry("its vectors of the probe sentence are not the ones the embedding computes")
    spans = {k: (offsets[i], offsets[i + 1]) for i, k in enumerate(index["keys"])}
    entry = StoreEntry(
        index["name"], index["document_level"], spans, vectors, path, inode, index["blocks"], index["block_bytes"]
    )
    if verify and (at := entry.damage()) is not None:
        raise DamagedEntry(f"its bytes from {at / 1024**2:.0f} MB on do not match the checksums written with them")
    return entry


def same_vectors(stored: torch.Tensor, live: torch.Tensor) -> bool:
    """Whether ``live`` vectors equal ``stored`` ones up to the noise of recomputing them."""
    return torch.allclose(live, stored, rtol=1e-4, atol=1e-5)


def remove_entry(directory: Path, key: str) -> None:
    """Remove entry ``key``'s files, a computation of it that was stopped included."""
    for suffix in (".index", ".vectors", ".partial", ".progress"):
        (directory / f"{key}{suffix}").unlink(missing_ok=True)


def fits(directory: Path, size: int, max_bytes: int, label: str) -> bool:
    """Whether an entry of ``size`` bytes may be written: under ``max_bytes``, and leaving 1 GB of the disk
    free (a twentieth of a smaller disk). Reservations of entries being written count as used."""
    usage = shutil.disk_usage(directory)
    if size <= min(max_bytes, usage.free - min(_HEADROOM_BYTES, usage.total // _HEADROOM_SHARE)):
        return True
    log.warning(
        "%s over this corpus takes %.2f GB (limit %.2f GB, %.2f GB free): it is not stored, so every trial computes it",
        label,
        size / 1024**3,
        max_bytes / 1024**3,
        usage.free / 1024**3,
    )
    return False


def make_room(directory: Path, size: int, total_bytes: int, keep: str) -> None:
    """Remove the entries used longest ago until ``size`` more bytes keep the folder under ``total_bytes``;
    a stopped computation goes too unless a process is computing it now."""
    found = [(path.stat().st_mtime, path.stem) for path in directory.glob("*.index")]
    found += [(path.stat().st_mtime, path.stem) for path in directory.glob("*.partial")]
    used = sum(path.stat().st_size for pattern in ("*.vectors", "*.partial") for path in directory.glob(pattern))
    for _, key in sorted(found):
        if used + size <= total_bytes:
            return
        if key == keep or _being_computed(directory, key):
            continue
        used -= sum(_size(directory / f"{key}{suffix}") for suffix in (".vectors", ".partial"))
        remove_entry(directory, key)
        log.info("the embedding cache is full: removed entry %s, used longest ago", key)


def _being_computed(directory: Path, key: str) -> bool:
    """Whether a process holds entry ``key``'s lock (it is computing or opening it)."""
    if not (directory / f"{key}.partial").exists():
        return False
    try:
        with FileLock(str(directory / f"{key}.lock"), timeout=0):
            return False
    except Timeout:
        return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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
