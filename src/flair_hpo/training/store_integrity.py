"""Checksums (CRC-32) of an embedding-cache entry's bytes, block by block, so that damage anywhere is noticed
before it is served.

Why CRC-32: the cache is trusted, so what must be caught is damage, not forgery (docs/reliability.md).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import torch

#: Bytes covered by one checksum.
BLOCK_BYTES = 4 * 1024 * 1024


def byte_view(vectors: torch.Tensor) -> memoryview:
    """The bytes of a contiguous CPU tensor, without a copy."""
    return memoryview(vectors.numpy()).cast("B")


def file_checksums(path: Path, block: int = BLOCK_BYTES) -> list[int]:
    """The CRC-32 of each ``block`` bytes of a file (the last block may be shorter), read with ordinary file I/O
    (what is on disk, not in a mapping)."""
    with path.open("rb") as handle:
        return [zlib.crc32(chunk) for chunk in iter(lambda: handle.read(block), b"")]


def first_mismatch(data: memoryview, sums: list[int], block: int = BLOCK_BYTES) -> int | None:
    """The byte offset of the first block of ``data`` whose checksum is not the one in ``sums``, or None."""
    if len(sums) != (len(data) + block - 1) // block:
        return 0
    for index, expected in enumerate(sums):
        if zlib.crc32(data[index * block : (index + 1) * block]) != expected:
            return index * block
    return None
