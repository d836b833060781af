"""Learned starts: a recipe's configurations that did well together on real corpora, shipped as data
(``flair_hpo/space/portfolios/RECIPE.json``, written by ``python benchmarks/portfolio.py write``).

Why: a recipe's published configuration is one guess, chosen for other models and corpora (docs/search-spaces.md).
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
    """The configurations of ``recipe``'s learned portfolio, in order; none when it has no portfolio."""
    data = portfolio_file(recipe)
    return [dict(configuration) for configuration in data["configurations"]] if data else []
