"""Is a configuration one of the space's? Asked of every configuration a trial is given before it is built.

Why: whoever can write the study can queue any values through Optuna's ``enqueue_trial``, and Optuna would
refuse them only once the trial runs, if at all. Example::

    outside_space(space, {"ModelTrainer.mini_batch_size": 7})
    # "ModelTrainer.mini_batch_size=7 is not one of 16, 32"
"""

from __future__ import annotations

from typing import Any

from flair_hpo.checks import is_real_number, is_whole_number
from flair_hpo.space.dimensions import Choice, Dimension, Range
from flair_hpo.space.search_space import SearchSpace


def outside_space(space: SearchSpace, labels: dict[str, Any]) -> str | None:
    """Why ``labels`` is not a configuration of ``space`` (a value it does not offer), or None when it is."""
    dimensions = {dimension.name: dimension for dimension in space.dimensions}
    for name, value in labels.items():
        dimension = dimensions.get(name)
        if dimension is None:
            return f"{name} is not a parameter of the search space"
        problem = _refused(dimension, value)
        if problem:
            return f"{name}={value!r} {problem}"
    return None


def _refused(dimension: Dimension, value: Any) -> str | None:
    if isinstance(dimension, Choice):
        # Of the same type too: Optuna takes True for 1 and 1 for 1.0, which the model would not.
        if any(type(value) is type(label) and value == label for label in dimension.labels):
            return None
        return f"is not one of {', '.join(repr(label) for label in dimension.labels)}"
    if isinstance(dimension, Range):
        whole = "whole " if dimension.integer else ""
        fits = is_whole_number(value) if dimension.integer else is_real_number(value)
        if fits and dimension.low <= value <= dimension.high:
            return None
        return f"is not a {whole}number from {dimension.low:g} to {dimension.high:g}"
    return None
