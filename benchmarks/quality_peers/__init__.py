"""The public optimizers a practitioner would pick, replayed against the search-quality tables by flair-hpo's
rules (quality_peers.bench): same budget, same seed draw, epochs as the fidelity, the returned model judged on
held-out seeds. One module per family; :func:`searcher` finds a peer's search by name.

    cd benchmarks && ../.venv-peers/bin/python search_quality.py peers trec --seeds 40   # see scripts/setup-peers.sh
"""

from __future__ import annotations

from collections.abc import Callable

from quality_replay import Replayed, Table

from flair_hpo.space import SearchSpace

from . import optuna_loop, syne_tune_loop

#: A search: (peer name, table, space, budget as a fraction of the grid's time, strategy seed) -> its outcome.
Search = Callable[[str, Table, SearchSpace, float, int], Replayed]

OPTUNA = tuple(optuna_loop.PRUNERS)
SYNE_TUNE = tuple(base + start for base in syne_tune_loop.SCHEDULERS for start in syne_tune_loop.STARTS)
PEERS = (*OPTUNA, *SYNE_TUNE, "dehb", "smac-hyperband")


def searcher(name: str) -> Search:
    """The search function of peer ``name`` (one of :data:`PEERS`)."""
    if name in OPTUNA:
        return optuna_loop.search
    if name in SYNE_TUNE:
        return syne_tune_loop.search
    if name == "dehb":
        from . import dehb_loop

        return dehb_loop.search
    if name == "smac-hyperband":
        from . import smac_loop

        return smac_loop.search
    raise ValueError(f"unknown peer {name!r}: one of {', '.join(PEERS)}")
