"""Learned starts: a recipe's configurations that did well together on real corpora, shipped as data.

A recipe's published configuration is one guess, chosen for other models and corpora (Flair's SGD at 0.1
with batches of 32 and the CLS token is 58th of 72 on TREC_6 and 63rd on CR in the search-quality benchmark's
grid). A learned portfolio is a short ordered list of configurations chosen greedily from the benchmark's
tables of that recipe's space, each the one that most lowers the mean over corpora of the best regret so far
(as auto-sklearn 2.0's portfolio, or Pfisterer et al.'s "learning multiple defaults"): the first is the one
configuration best across the corpora, the next the one that best covers the corpora the first does not.

``flair_hpo/space/portfolios/RECIPE.json`` holds it, with the tables it came from; it is written by
``python benchmarks/portfolio.py write`` and the test suite checks that it is what that command makes.
A recipe queues its portfolio as its first starts (:mod:`flair_hpo.space.recipes`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flair_hpo.space.dimensions import Label


def portfolio_file(recipe: str) -> dict[str, Any] | None:
    """The shipped portfolio file of ``recipe`` (its configurations and where they came from), or None."""
    path = resources.files("flair_hpo.space").joinpath("portfolios", f"{recipe}.json")
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def learned_starts(recipe: str) -> list[dict[str, Label]]:
    """The configurations (parameter names to values) of ``recipe``'s learned portfolio, in order; none when
    the recipe has no portfolio."""
    data = portfolio_file(recipe)
    return [dict(configuration) for configuration in data["configurations"]] if data else []
