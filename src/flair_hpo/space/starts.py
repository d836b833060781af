"""Known-good configurations a search trains first: ``search_space.add_start({...})``, YAML ``start:``.

The policies queue each start before any strategy proposes anything, so every Optuna sampler trains them first.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from flair_hpo.checks import is_real_number, is_whole_number
from flair_hpo.errors import SearchSpaceError, did_you_mean
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.argument_checks import flair_default
from flair_hpo.space.dimensions import Choice, Dimension, Label, Range, configuration_key


def start_labels(dimensions: list[Dimension], values: Mapping[Any, Any]) -> dict[str, Label]:
    """The labels of the configuration ``values`` gives; :class:`SearchSpaceError` naming what does not fit."""
    if not isinstance(values, Mapping) or not values:
        raise SearchSpaceError(
            f"a start is a mapping of parameters to values, e.g. {{learning_rate: 0.1}}; not {values!r}"
        )
    given = {p.parameter_key(k) if isinstance(k, Enum) else str(k): v for k, v in values.items()}
    labels: dict[str, Label] = {}
    for dimension in dimensions:
        if not dimension.is_active(labels):
            continue
        if dimension.name in given:
            labels[dimension.name] = _label(dimension, given.pop(dimension.name))
        elif isinstance(dimension, Choice) and dimension.size == 1:
            labels[dimension.name] = dimension.labels[0]
        else:
            raise SearchSpaceError(f"the start gives no value for {dimension.name}; give one of {dimension.describe()}")
    if given:
        names = [d.name for d in dimensions]
        unknown = ", ".join(f"{name}{did_you_mean(name, names)}" for name in given)
        raise SearchSpaceError(f"the start gives {unknown}, which the search space does not tune (or not here)")
    return labels


def projected_start(dimensions: list[Dimension], labels: Mapping[str, Label]) -> dict[str, Label] | None:
    """An earlier study's configuration (its stored labels) as a start of this space, or None when it has no
    counterpart here.

    Parameters not tuned here are dropped, those with one option here take it, those not tuned there take
    Flair's default; a number moves to the nearest option (log scale for positive numbers) or range end. Any
    other value must be one of this space's options.

    >>> from flair_hpo.space.dimensions import Choice
    >>> rate = Choice("ModelTrainer.learning_rate", labels=(0.05, 0.1, 0.5), values=(0.05, 0.1, 0.5))
    >>> projected_start([rate], {"ModelTrainer.learning_rate": 0.4, "SequenceTagger.use_crf": True})
    {'ModelTrainer.learning_rate': 0.5}
    """
    projected: dict[str, Label] = {}
    for dimension in dimensions:
        if not dimension.is_active(projected):
            continue
        if isinstance(dimension, Choice) and dimension.size == 1:
            projected[dimension.name] = dimension.labels[0]
            continue
        value = labels.get(dimension.name, flair_default(dimension.name))
        if value is inspect.Parameter.empty:
            return None
        label = _nearest(dimension, value)
        if label is None:
            return None
        projected[dimension.name] = label
    return projected


def _nearest(dimension: Dimension, value: Label) -> Label | None:
    """``value`` as a label of ``dimension``: itself, or the nearest number it holds; None if it has none."""
    if isinstance(dimension, Range):
        if not is_real_number(value):
            return None
        clipped = min(max(value, dimension.low), dimension.high)
        return round(clipped) if dimension.integer else float(clipped)
    assert isinstance(dimension, Choice)
    same = [label for label in dimension.labels if _same(value, label)]
    if same:
        return same[0]
    numbers = [label for label in dimension.labels if is_real_number(label)]
    if not is_real_number(value) or not numbers:
        return None
    positive = value > 0 and all(n > 0 for n in numbers)
    return min(numbers, key=lambda n: abs(math.log(n / value)) if positive else abs(n - value))


def _label(dimension: Dimension, value: Any) -> Label:
    if isinstance(dimension, Choice):
        for label, stored in zip(dimension.labels, dimension.values, strict=True):
            if _same(value, label) or _same(value, stored):
                return label
        raise SearchSpaceError(
            f"{dimension.name}: the start's value {value!r} is not one of its options {dimension.describe()}"
        )
    assert isinstance(dimension, Range)
    fits = is_whole_number(value) if dimension.integer else is_real_number(value)
    if not fits or not dimension.low <= value <= dimension.high:
        kind = "a whole number" if dimension.integer else "a number"
        raise SearchSpaceError(
            f"{dimension.name}: the start's value {value!r} is not {kind} in [{dimension.low}, {dimension.high}]"
        )
    return int(value) if dimension.integer else float(value)


def _same(value: Any, option: Any) -> bool:
    """Equal as stored values are (JSON), a boolean never equal to a number."""
    if isinstance(value, bool) != isinstance(option, bool):
        return False
    return json.dumps(value, sort_keys=True) == json.dumps(option, sort_keys=True) or value == option


class Starts:
    """The starts of a search space (:class:`~flair_hpo.space.search_space.SearchSpace` inherits them)."""

    _starts: list[tuple[dict[Any, Any], bool]]  # (values, strict), set by the search space

    @property
    def dimensions(self) -> list[Dimension]:
        raise NotImplementedError

    def add_start(self, configuration: dict[Any, Any], *, strict: bool = True) -> None:
        """Train ``configuration`` (parameter members or their names, to values) before anything a strategy
        proposes, in the order added; a parameter with one option may be left out. ``strict=False`` (a
        recipe's published configuration) drops it silently once the space no longer holds it.

        Example::

            search_space.add_start({parameter.ModelTrainer.LEARNING_RATE: 0.1,
                                    parameter.ModelTrainer.MINI_BATCH_SIZE: 32})
        """
        start_labels(self.dimensions, configuration)  # bad input fails here, before any training
        self._starts.append((dict(configuration), strict))

    @property
    def starts(self) -> list[dict[str, Label]]:
        """The configurations to train first (labels), in the order added, each once."""
        found: dict[str, dict[str, Label]] = {}
        for values, strict in self._starts:
            try:
                labels = start_labels(self.dimensions, values)
            except SearchSpaceError:
                if strict:
                    raise
                continue
            found.setdefault(configuration_key(labels), labels)
        return list(found.values())

    def _start_problems(self) -> list[str]:
        """Starts that no longer fit the space (a parameter removed or changed after ``add_start``)."""
        try:
            _ = self.starts
        except SearchSpaceError as error:
            return [str(error)]
        return []
