"""The tutorial's ``search_spaces``: ``from flair_hpo import search_spaces``; ready spaces are in
``search_spaces.recipes``.

Example::

    search_space = search_spaces.TextClassifierSearchSpace()
    search_space.add_budget(parameter.Budget.RUNS, 20)
"""

from flair_hpo.errors import SearchSpaceError
from flair_hpo.space import (
    SearchSpace,
    SequenceTaggerSearchSpace,
    TextClassifierSearchSpace,
    configuration_key,
    recipes,
)

__all__ = [
    "SearchSpace",
    "SearchSpaceError",
    "SequenceTaggerSearchSpace",
    "TextClassifierSearchSpace",
    "configuration_key",
    "recipes",
]
