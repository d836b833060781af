"""Commands run as child processes with a real fault prepared for a chosen moment: ``python -m tests.fault_runs
MODE ARGS... CONFIG`` runs ``flair-hpo run CONFIG`` as the command line does; ``... entry ...`` computes one
embedding-cache entry as a worker would. The faults are real (a file system filled up, a database server
stopped); only their moment is chosen, by hooking where the moment is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fill_cache_while_an_entry_is_written(cache: Path) -> None:
    """Fill the file system of the embedding cache ``cache`` (a small tmpfs) as soon as word vectors are
    computed while an entry's vectors file is being written: in the middle of writing it."""
    from flair.embeddings import WordEmbeddings

    from flair_hpo.flair_internals import VECTOR_COMPUTATION

    from .faults import fill_disk

    original = getattr(WordEmbeddings, VECTOR_COMPUTATION)  # the fault's moment, not flair-hpo's code
    filled = []

    def compute(self, sentences):
        writing = [*cache.glob("*.partial"), *cache.glob(".*.vectors.*.tmp")]
        if writing and not filled:
            filled.append(fill_disk(cache))
        return original(self, sentences)

    setattr(WordEmbeddings, VECTOR_COMPUTATION, compute)


def halt_postgres_at_epoch(trial: int, epoch: int, port: str) -> None:
    """Stop the test's PostgreSQL server (on ``port``) as trial ``trial`` ends epoch ``epoch``, as a crash
    would, right after the epoch's score was stored: the next epoch's report meets the outage."""
    import os

    from flair_hpo.results.events import Listeners

    original = Listeners.epoch_ended

    def epoch_ended(self, event):
        original(self, event)
        if (event.trial, event.epoch) == (trial, epoch):
            env = {**os.environ, "FLAIR_HPO_TEST_POSTGRES_PORT": port}
            subprocess.run(["bash", "scripts/postgres.sh", "halt"], cwd=REPO, env=env, check=True)

    Listeners.epoch_ended = epoch_ended


def entry_of_half(cache: Path, vectors: Path, half: int, pause: Path | None = None) -> None:
    """Compute the embedding-cache entry (in ``cache``) of word ``vectors`` over one half of 10% of TREC_6, as a
    worker would; with ``pause``: once its vectors file is begun, create ``pause`` and wait until it is gone."""
    import time

    import flair
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo.flair_internals import VECTOR_COMPUTATION
    from flair_hpo.training.embedding_store import EmbeddingStore

    if pause is not None:
        original = getattr(WordEmbeddings, VECTOR_COMPUTATION)

        def compute(self, sentences):
            if list(cache.glob("*.partial")) and not pause.with_suffix(".done").exists():
                pause.touch()
                while pause.exists():
                    time.sleep(0.05)
                pause.with_suffix(".done").touch()
            return original(self, sentences)

        setattr(WordEmbeddings, VECTOR_COMPUTATION, compute)
    flair.set_seed(1)
    sentences = list(TREC_6().downsample(0.1).get_all_sentences())
    part = sentences[: len(sentences) // 2] if half == 0 else sentences[len(sentences) // 2 :]
    entry = EmbeddingStore(cache).entry(WordEmbeddings(str(vectors)), part)
    print("stored" if entry is not None else "not stored")


if __name__ == "__main__":
    from flair_hpo.cli import main

    if sys.argv[1] == "entry":  # entry CACHE VECTORS HALF [PAUSE]
        entry_of_half(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), *(Path(a) for a in sys.argv[5:6]))
        sys.exit(0)
    mode, *arguments, config = sys.argv[1:]
    if mode == "fill-cache":
        fill_cache_while_an_entry_is_written(Path(arguments[0]))
    elif mode == "halt-postgres":
        halt_postgres_at_epoch(int(arguments[0]), int(arguments[1]), arguments[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.exit(main(["run", config]))
