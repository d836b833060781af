"""The warm start from earlier studies (flair_hpo.search.earlier), measured leaving one scenario out.

A user who turns the warm start on has run earlier searches of the same task on other corpora. Here the
held-out scenario's search may use the *other* scenarios of its task as its history (TREC_6 over MiniLM
and TREC_6 over a document RNN are text classification; WNUT_17 and UD English-LinES sequence labeling):
each is searched first, by the default with the same strategy seed and :data:`EARLIER_BUDGET` of its grid's
time, as a user's earlier search would be, and what that search returned becomes the earlier study's best.
The warm start then projects it onto the held-out space with the product's own code
(:func:`flair_hpo.search.earlier.warm_starts`) and trains it first. Nothing of the held-out scenario's own
table is used to choose it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from quality_replay import Table, replay
from quality_scenarios import SCENARIOS
from quality_tables import TABLES

from flair_hpo.search.earlier import EarlierStudy, warm_starts

#: The share of its grid's time the earlier searches had.
EARLIER_BUDGET = 0.25


@functools.cache
def earlier_studies(name: str) -> Callable[[int], list[EarlierStudy]] | None:
    """For scenario ``name``: the earlier studies a search with strategy seed ``s`` may learn from (the other
    scenarios of its task, each searched by the default with seed ``s``); None when no other scenario of its
    task has a table."""
    from quality_variants import variants

    space = SCENARIOS[name].build_space()
    others = []
    for other, scenario in SCENARIOS.items():
        path = TABLES / f"{other}.json"
        if other != name and path.exists():
            other_space = scenario.build_space()
            if other_space.task == space.task:
                table = Table.load(path)
                others.append((other, table, other_space, variants(table.max_epochs)["default"]))
    if not others:
        return None

    @functools.cache
    def studies(seed: int) -> list[EarlierStudy]:
        found = []
        for other, table, other_space, default in others:
            searched = replay(table, other_space, default, EARLIER_BUDGET, seed)
            if searched.key is not None:
                # What the study's record keeps: its whole-split configurations, best first. The search's
                # returned model leads (with reseeding off it is the best of them).
                ranked = [searched.key, *(key for key in searched.ranked if key != searched.key)]
                found.append(EarlierStudy(space.task, "", "", 0.0, [json.loads(k) for k in ranked], other))
        return found

    return studies


def earlier_starts(name: str) -> Callable[[int], tuple[dict[str, Any], ...]] | None:
    """For scenario ``name``: the warm start (configurations trained first) of a search with strategy seed
    ``s``; None when no other scenario of its task has a table."""
    studies = earlier_studies(name)
    if studies is None:
        return None
    space = SCENARIOS[name].build_space()
    return lambda seed: tuple(warm_starts(space, studies(seed)))
