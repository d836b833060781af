"""How a search uses this machine's CPU: the threads of each trial and, with ``workers="auto"``, how many trials
train at once, measured once before the first trial."""

from __future__ import annotations

import gc
import logging
import random
from dataclasses import dataclass
from typing import Any

from flair_hpo.errors import one_line
from flair_hpo.flair_internals import progress_bars_off
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.training.corpus import reset_corpus
from flair_hpo.training.model_factory import build_model, training_arguments
from flair_hpo.training.threads import PAIRS, free_cores, given_threads, time_mini_batches, usable_cores
from flair_hpo.training.trial_runner import served_embeddings

log = logging.getLogger("flair_hpo")

#: ``workers="auto"``: as many trials at once as is measured to be faster (one per GPU with GPUs).
AUTO = "auto"


@dataclass(frozen=True)
class ThreadPlan:
    """The threads of each trial here (None: torch's default), the number of workers, what to tell the user."""

    threads: int | None
    workers: int
    said: str = ""

    def tell(self) -> None:
        """Say in the search's log what was measured and chosen (once the search's log is set up)."""
        if self.said:
            log.info("%s", self.said)


def plan_threads(setup: SearchSetup, workers: int | str) -> ThreadPlan:
    """The plan for ``workers``: measured for 1 and ``"auto"``, other counts share the cores out."""
    import flair
    import torch

    if workers not in (1, AUTO):
        return ThreadPlan(None, int(workers))
    if flair.device.type != "cpu":
        from flair_hpo.orchestration.workers import visible_gpus

        return ThreadPlan(None, max(1, len(visible_gpus())) if workers == AUTO else 1)
    cores, given = usable_cores(), given_threads()
    free = free_cores(cores) if workers == AUTO else 1  # read before the timing loads the machine itself
    if given is not None:
        said = f"threads: {given} per trial, as set in the environment, {free} core(s) free" if workers == AUTO else ""
        plan = ThreadPlan(given, max(1, free // given), said)
    elif cores == 1:
        plan = ThreadPlan(1, 1)
    else:
        try:
            with progress_bars_off():  # before the search's console quiets Flair (its label dictionary's bars)
                timing = _timing(setup, cores)
        except Exception as error:  # the trial of that configuration will say what is wrong with it
            log.debug("timing the threads failed", exc_info=True)
            return ThreadPlan(None, 1, f"threads: not measured ({one_line(error)[:200]}); torch's default")
        room = f", {free} core(s) free" if workers == AUTO else ""
        plan = ThreadPlan(timing.threads, timing.workers(free), f"threads: {timing}{room}")
    workers = plan.workers if workers == AUTO else 1
    threads = plan.threads if workers == 1 else max(1, cores // workers)
    if workers == 1 and threads is not None:
        torch.set_num_threads(threads)
    how = (
        f"{workers} workers of {threads} thread(s) each"
        if workers > 1
        else f"each trial trains with {threads} thread(s)"
    )
    return ThreadPlan(threads, workers, f"{plan.said}: {how}" if plan.said else "")


def _timing(setup: SearchSetup, cores: int) -> Any:
    """Time mini-batches of a configuration of the space (the same one every time) at 1 and ``cores`` threads."""
    configuration = setup.configuration(setup.search_space.sample(random.Random(0)))
    batch_size = int(training_arguments(configuration).get("mini_batch_size", 32))
    train = setup.corpus.train
    sentences = [train[i] for i in range(min(len(train), batch_size * (2 * PAIRS + 2)))]
    model = build_model(configuration, setup.label_dictionary)
    try:
        with served_embeddings(setup.embedding_store, model, setup.corpus):
            return time_mini_batches(model, sentences, batch_size, cores)
    finally:
        reset_corpus(setup.corpus)
        del model
        gc.collect()
