"""How many CPU threads a trial trains with, timed on the model at hand unless the user fixed a count.

Why: torch's default, every core, is slower for the small models of frozen-embedding searches (docs/speed.md).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flair_hpo.training.environment import worker_threads

log = logging.getLogger("flair_hpo")

#: Pairs of timed mini-batches at most, at least, and the seconds after which no further pair is started.
PAIRS, LEAST_PAIRS, SECONDS = 8, 3, 20.0
#: The variables through which the user fixes the threads of torch's (OpenMP's, MKL's) pool.
USER_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class ThreadTiming:
    """Seconds of a mini-batch (median over the pairs) at one thread and at ``cores`` threads."""

    cores: int
    one: float
    all: float
    ratio: float
    pairs: int

    @property
    def threads(self) -> int:
        """The faster count for one trial at a time."""
        return 1 if self.ratio <= 1.0 else self.cores

    def workers(self, free: int) -> int:
        """How many trials train at once with ``workers="auto"``: one-thread workers, when that is faster."""
        return free if free > 1 and self.ratio < free else 1

    def __str__(self) -> str:
        return (
            f"a mini-batch took {self.one * 1000:.1f} ms with 1 thread and {self.all * 1000:.1f} ms with "
            f"{self.cores} (median of {self.pairs} pairs, 1 thread / {self.cores} = {self.ratio:.2f})"
        )


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def free_cores(cores: int) -> int:
    """The cores the machine's load leaves to this search (the 1-minute load average beyond its own; at least 1)."""
    others = max(0.0, os.getloadavg()[0] - 1.0)
    return max(1, min(cores, round(cores - others)))


def given_threads() -> int | None:
    """The threads the user fixed (``$FLAIR_HPO_THREADS``, ``$OMP_NUM_THREADS``, ``$MKL_NUM_THREADS``), or None."""
    threads = worker_threads()
    if threads is not None:
        return threads
    for variable in USER_THREADS:
        given = os.environ.get(variable, "").strip()
        if given.isdigit() and int(given) > 0:
            return int(given)
    return None


def time_mini_batches(model: Any, sentences: list[Any], batch_size: int, cores: int) -> ThreadTiming:
    """Train ``model`` on mini-batches of ``sentences`` alternately at 1 and ``cores`` threads (learning rate 0:
    the weights stay as they are) and time them; the threads are set back as they were."""
    import torch

    before = torch.get_num_threads()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.0)
    batches = _batches(sentences, batch_size)
    model.train()
    timed: dict[int, list[float]] = {1: [], cores: []}
    started = time.monotonic()
    try:
        for threads in (1, cores):  # warm-up: the first batch at each count allocates what later ones reuse
            _one_batch(model, optimizer, next(batches), threads)
        for pair in range(PAIRS):
            if pair >= LEAST_PAIRS and time.monotonic() - started > SECONDS:
                break
            for threads in (1, cores) if pair % 2 == 0 else (cores, 1):
                timed[threads].append(_one_batch(model, optimizer, next(batches), threads))
    finally:
        torch.set_num_threads(before)
        for sentence in sentences:
            sentence.clear_embeddings()
    ratios = [one / every for one, every in zip(timed[1], timed[cores], strict=True)]
    return ThreadTiming(
        cores, statistics.median(timed[1]), statistics.median(timed[cores]), statistics.median(ratios), len(ratios)
    )


def _batches(sentences: list[Any], batch_size: int) -> Iterator[list[Any]]:
    """Mini-batches of ``sentences``, from the start again when they run out."""
    size = max(1, min(batch_size, len(sentences)))
    while True:
        for start in range(0, len(sentences) - size + 1, size):
            yield sentences[start : start + size]


def _one_batch(model: Any, optimizer: Any, batch: list[Any], threads: int) -> float:
    """Seconds of one training step on ``batch`` at ``threads`` threads."""
    import torch

    torch.set_num_threads(threads)
    started = time.perf_counter()
    loss, _ = model.forward_loss(batch)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - started
    for sentence in batch:
        sentence.clear_embeddings()
    return seconds
