"""Checksums (CRC-32) of an embedding-cache entry's bytes, block by block, so that damage anywhere is noticed
before it is served.

Why CRC-32: the cache is trusted, so what must be caught is damage, not forgery (docs/reliability.md).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import torch

#: Bytes covered by one checksum.
BLOCK_BYTES = 4 * 1024 * 1024


def byte_view(vectors: torch.Tensor) -> memoryview:
    """The bytes of a contiguous CPU tensor, without a copy."""
    return memoryview(vectors.numpy()).cast("B")


def checksums(data: memoryview | bytes, block: int = BLOCK_BYTES) -> list[int]:
    """The CRC-32 of each ``block`` bytes of ``data`` (the last block may be shorter)."""
    return [zlib.crc32(data[start : start + block]) for start in range(0, len(data), block)]


def file_checksums(path: Path, block: int = BLOCK_BYTES) -> list[int]:
    """:func:`checksums` of a file's bytes, read with ordinary file I/O (what is on disk, not in a mapping)."""
    return list(_file_sums(path, block))


def _file_sums(path: Path, block: int) -> Iterator[int]:
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            yield zlib.crc32(chunk)


def first_mismatch(data: memoryview, sums: list[int], block: int = BLOCK_BYTES) -> int | None:
    """The byte offset of the first block of ``data`` whose checksum is not the one in ``sums``, or None."""
    if len(sums) != (len(data) + block - 1) // block:
        return 0
    for index, expected in enumerate(sums):
        if zlib.crc32(data[index * block : (index + 1) * block]) != expected:
            return index * block
    return None
