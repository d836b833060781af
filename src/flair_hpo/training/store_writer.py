"""Computing one entry of the embedding store: into disk space reserved before the first row, in chunks that
survive a kill (docs/reliability.md)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flair_hpo.errors import MachineError
from flair_hpo.files import atomic_write, disk_full, out_of_space
from flair_hpo.training.store_files import FORMAT, embed, is_document_level, probe, same_vectors
from flair_hpo.training.store_integrity import BLOCK_BYTES, byte_view, file_checksums

if TYPE_CHECKING:
    from flair.data import Sentence
    from flair.embeddings import Embeddings

log = logging.getLogger("flair_hpo")

_BATCH = 32
#: Sentences of the first chunk; each next chunk is at most twice as large, and takes about _CHUNK_SECONDS.
_FIRST_CHUNK = 64
_CHUNK_SECONDS = 30.0
#: The most a chunk's rows hold in memory before they are written.
_CHUNK_BYTES = 64 * 1024 * 1024
#: Seconds between two lines that say how far a long computation got.
_SAY_EVERY_S = 60.0


@dataclass(frozen=True)
class Layout:
    """Where each sentence's rows go: sentence ``i`` (of ``keys``) takes rows ``offsets[i]`` to ``offsets[i+1]``."""

    keys: list[str]
    offsets: list[int]
    dimension: int
    document_level: bool

    @classmethod
    def of(cls, embedding: Embeddings, unique: dict[str, Sentence]) -> Layout:
        document_level = is_document_level(embedding)
        offsets = [0]
        for key in unique:
            offsets.append(offsets[-1] + (1 if document_level else len(unique[key])))
        return cls(list(unique), offsets, embedding.embedding_length, document_level)

    @property
    def size(self) -> int:
        return self.offsets[-1] * self.dimension * 4

    def byte(self, sentence: int) -> int:
        """Where the rows of sentence ``sentence`` start in the file."""
        return self.offsets[sentence] * self.dimension * 4

    def fingerprint(self) -> str:
        text = f"{self.dimension}|{self.document_level}|{','.join(self.keys)}|{self.offsets}"
        return hashlib.sha256(text.encode()).hexdigest()


def compute_entry(
    directory: Path,
    key: str,
    embedding: Embeddings,
    unique: dict[str, Sentence],
    label: str,
    reserve: Callable[[Path, int], bool],
) -> dict[str, Any] | None:
    """Compute the vectors of every sentence once (continuing a computation that was stopped), write the entry
    (its index last) and return its index; None when ``reserve(path, size)`` finds no room for it."""
    plan = Layout.of(embedding, unique)
    partial, progress = directory / f"{key}.partial", directory / f"{key}.progress"
    # The first sentence is the probe: its rows are stored as computed on its own, as every open computes it.
    probe_tokens = [token.text for token in unique[plan.keys[0]]]
    probe_vectors = probe(embedding, probe_tokens)
    ends, sums = _resume_point(directory, key, plan, probe_vectors, label)
    if ends:
        log.info("continuing %s from sentence %d of %d, where its computation stopped", label, ends[-1], len(plan.keys))
    else:
        for stale in (partial, progress):
            stale.unlink(missing_ok=True)
        if not reserve(partial, plan.size):
            return None
        log.info("computing %s once for %d sentences (%.2f GB)", label, len(plan.keys), plan.size / 1024**3)
    _compute_chunks(partial, progress, plan, embedding, unique, probe_vectors, ends, sums, label)
    with _writing(partial):
        blocks = file_checksums(partial)  # what is on disk, read back
    os.replace(partial, directory / f"{key}.vectors")
    index = {
        "format": FORMAT,
        "name": embedding.name,
        "document_level": plan.document_level,
        "dimension": plan.dimension,
        "rows": plan.offsets[-1],
        "keys": plan.keys,
        "offsets": torch.tensor(plan.offsets),
        "probe_tokens": probe_tokens,
        "probe": probe_vectors,
        "block_bytes": BLOCK_BYTES,
        "blocks": blocks,
    }
    atomic_write(directory / f"{key}.index", lambda tmp: torch.save(index, tmp), private=True)
    progress.unlink(missing_ok=True)
    return index


def reserve_file(path: Path, size: int) -> None:
    """Create ``path`` (owner-only) with ``size`` bytes allocated; :class:`DiskFullError` when the disk has not
    that much. Where the file system cannot allocate ahead, the file is sparse."""
    with _writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as error:
                if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                    raise
                os.ftruncate(fd, size)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)


def _compute_chunks(
    partial: Path,
    progress: Path,
    plan: Layout,
    embedding: Embeddings,
    unique: dict[str, Sentence],
    probe_vectors: torch.Tensor,
    ends: list[int],
    sums: list[int],
    label: str,
) -> None:
    """Compute and write the chunks after ``ends[-1]``, noting each in ``progress`` once it is on disk."""
    done, count, said = (ends[-1] if ends else 0), _FIRST_CHUNK, time.monotonic()
    with _writing(partial):
        handle = partial.open("r+b")
    with handle:
        while done < len(plan.keys):
            end = _chunk_end(plan, done, count)
            started = time.monotonic()
            rows = _chunk_rows(plan, embedding, unique, probe_vectors, done, end)
            data = byte_view(rows)
            with _writing(partial):
                _write_at(handle.fileno(), data, plan.byte(done))
                os.fsync(handle.fileno())
            ends.append(end)
            sums.append(zlib.crc32(data))
            saved = {"format": FORMAT, "layout": plan.fingerprint(), "probe": probe_vectors, "ends": ends, "sums": sums}
            atomic_write(progress, lambda tmp, saved=saved: torch.save(saved, tmp), private=True)
            elapsed, done = time.monotonic() - started, end
            count = max(_BATCH, min(2 * count, int(count * _CHUNK_SECONDS / max(elapsed, 1e-3))))
            if time.monotonic() - said > _SAY_EVERY_S and done < len(plan.keys):
                log.info("computing %s: %d of %d sentences", label, done, len(plan.keys))
                said = time.monotonic()


def _chunk_end(plan: Layout, start: int, count: int) -> int:
    """The end of the chunk from sentence ``start``: ``count`` sentences, fewer past :data:`_CHUNK_BYTES`."""
    end = min(len(plan.keys), start + count)
    while end > start + 1 and plan.byte(end) - plan.byte(start) > _CHUNK_BYTES:
        end = start + max(1, (end - start) // 2)
    return end


def _chunk_rows(
    plan: Layout,
    embedding: Embeddings,
    unique: dict[str, Sentence],
    probe_vectors: torch.Tensor,
    start: int,
    end: int,
) -> torch.Tensor:
    """The rows of sentences ``start`` to ``end``, computed in batches of sentences of similar length."""
    first = plan.offsets[start]
    rows = torch.empty(plan.offsets[end] - first, plan.dimension)
    members = range(start, end)
    if start == 0:
        rows[: plan.offsets[1]] = probe_vectors
        members = range(1, end)
    order = sorted(members, key=lambda i: len(unique[plan.keys[i]]))
    for at in range(0, len(order), _BATCH):
        batch = order[at : at + _BATCH]
        for i, matrix in zip(batch, embed(embedding, [unique[plan.keys[i]] for i in batch]), strict=True):
            rows[plan.offsets[i] - first : plan.offsets[i + 1] - first] = matrix
    return rows


def _write_at(fd: int, data: memoryview, offset: int) -> None:
    while data:
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written


def _resume_point(
    directory: Path, key: str, plan: Layout, probe_vectors: torch.Tensor, label: str
) -> tuple[list[int], list[int]]:
    """The chunk ends and checksums of a stopped computation of this entry, once checked; else empty lists."""
    partial, progress = directory / f"{key}.partial", directory / f"{key}.progress"
    if not progress.exists():
        return [], []
    vectors = directory / f"{key}.vectors"
    if not partial.exists() and vectors.exists():  # stopped after the last chunk, before the index was written
        os.replace(vectors, partial)
    try:
        saved = torch.load(progress, weights_only=True)
        ends, sums = list(saved["ends"]), list(saved["sums"])
        usable = (
            saved["format"] == FORMAT
            and saved["layout"] == plan.fingerprint()
            and same_vectors(saved["probe"], probe_vectors)
            and partial.exists()
            and partial.stat().st_size == plan.size
            and len(ends) == len(sums)
            and _chunks_intact(partial, plan, ends, sums)
        )
    except Exception:  # a progress file of another version, or cut short: start again
        usable = False
    if not usable:
        log.warning("what was computed of %s before it stopped cannot be continued; computing it from the start", label)
        return [], []
    return ends, sums


def _chunks_intact(partial: Path, plan: Layout, ends: list[int], sums: list[int]) -> bool:
    """Whether the chunks ``ends`` notes hold on disk what was written (``sums``)."""
    with partial.open("rb") as handle:
        start = 0
        for end, expected in zip(ends, sums, strict=True):
            handle.seek(plan.byte(start))
            if zlib.crc32(handle.read(plan.byte(end) - plan.byte(start))) != expected:
                return False
            start = end
    return True


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A disk error under ``path`` in the block as :class:`DiskFullError` or else :class:`MachineError`."""
    try:
        yield
    except OSError as error:
        if out_of_space(error):
            raise disk_full(path) from error
        raise MachineError(f"{path} cannot be written: {error.strerror or error}") from error
