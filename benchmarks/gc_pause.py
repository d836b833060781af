"""What collecting a trial's model costs after each trial, with and without the search loop's ``gc.freeze``.

The search loop collects garbage after every trial (``free_memory``: the trial's model is given back, GPU
memory included). A collection walks every object the collector tracks; with a corpus loaded that is the
corpus's sentences and tokens, hundreds of thousands of objects, after every trial. The search loop keeps
what lives at its start out of the collector's sight (``out_of_collectors_sight``). This measures both, side
by side in one process, with TREC_6 and WNUT_17 loaded as a search of either would have them:

    .venv/bin/python benchmarks/gc_pause.py          # (FLAIR_CACHE_ROOT pointing at the corpora)
"""

from __future__ import annotations

import gc
import statistics
import time


def _median_seconds(repeats: int = 7) -> float:
    from flair_hpo.orchestration.trial_turn import free_memory

    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        free_memory()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def main() -> None:
    from flair.datasets import TREC_6, WNUT_17

    from flair_hpo.orchestration.search_loop import out_of_collectors_sight

    corpora = [TREC_6(), WNUT_17()]  # kept alive, as a search keeps its corpus
    tracked = len(gc.get_objects())
    plain = _median_seconds()
    with out_of_collectors_sight():
        frozen = _median_seconds()
    print(f"{len(corpora)} corpora loaded, {tracked} objects tracked by the collector")
    print(f"collecting after a trial: {plain:.3f} s; inside the search loop: {frozen:.4f} s")


if __name__ == "__main__":
    main()
