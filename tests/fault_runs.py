"""Commands run as child processes with a real fault prepared for a chosen moment: ``python -m tests.fault_runs
MODE ARGS... CONFIG`` runs ``flair-hpo run CONFIG`` as the command line does. The faults are real (a file system
filled up, a database server stopped); only their moment is chosen, by hooking where the moment is."""

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


if __name__ == "__main__":
    from flair_hpo.cli import main

    mode, *arguments, config = sys.argv[1:]
    if mode == "fill-cache":
        fill_cache_while_an_entry_is_written(Path(arguments[0]))
    elif mode == "halt-postgres":
        halt_postgres_at_epoch(int(arguments[0]), int(arguments[1]), arguments[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.exit(main(["run", config]))
