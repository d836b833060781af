"""The warm start from earlier studies (flair_hpo.study.earlier), measured leaving one scenario out.

A user who turns the warm start on has run earlier searches of the same task on other corpora. Here the
held-out scenario's search may use the *other* scenarios of its task as its history (TREC_6 over MiniLM
and TREC_6 over a document RNN are text classification; WNUT_17 and UD English-LinES sequence labeling):
each is searched first, by the default with the same strategy seed and :data:`EARLIER_BUDGET` of its grid's
time, as a user's earlier search would be, and what that search returned becomes the earlier study's best.
The warm start then projects it onto the held-out space with the product's own code
(:func:`flair_hpo.study.earlier.warm_starts`) and trains it first. Nothing of the held-out scenario's own
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

from flair_hpo.study.earlier import EarlierStudy, warm_starts

#: The share of its grid's time the earlier searches had.
EARLIER_BUDGET = 0.25


def earlier_starts(name: str) -> Callable[[int], tuple[dict[str, Any], ...]] | None:
    """For scenario ``name``: the warm start of a search with strategy seed ``s``, from the other scenarios of
    its task; None when no other scenario of its task has a table."""
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
    def starts(seed: int) -> tuple[dict[str, Any], ...]:
        studies = []
        for other, table, other_space, default in others:
            returned = replay(table, other_space, default, EARLIER_BUDGET, seed)
            if returned.key is not None:
                ranked = [json.loads(returned.key)]
                studies.append(EarlierStudy(space.task, "", "", 0.0, ranked, other))
        return tuple(warm_starts(space, studies))

    return starts
