"""One tunable dimension of a search space: a list of options, or a numeric range.

Strategies only see *labels* (plain values); a :class:`Choice` keeps the JSON value each label stands for.
"""

from __future__ import annotations

import json
import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

Label = str | int | float | bool | None

#: When a dimension takes part in a configuration: ``((parent, (label, ...)), ...)``, any parent holding one
#: of its labels. A text classifier's branch parameters have ``(("document_embeddings", ("DocumentRNNEmbeddings",)),)``;
#: ``Optimizer.momentum`` has ``(("ModelTrainer.optimizer", ("SGD", "RMSprop")),)`` when Adam is searched too.
Condition = tuple[tuple[str, tuple[Label, ...]], ...]


def when(parent: str, *labels: Label) -> Condition:
    """The condition "``parent`` holds one of ``labels``"."""
    return ((parent, tuple(labels)),)


def configuration_key(labels: dict[str, Label]) -> str:
    """A canonical string for a configuration, equal for equal configurations."""
    return json.dumps(labels, sort_keys=True)


# Standard deviation of a mutation step, as a fraction of a range's (log-)width.
_MUTATION_SCALE = 0.2


@dataclass(frozen=True)
class Dimension(ABC):
    """A named dimension, optionally conditional on the value of an earlier one."""

    name: str
    condition: Condition | None = None

    def is_active(self, configuration: dict[str, Label]) -> bool:
        """Whether this dimension takes part in ``configuration`` (whose earlier dimensions are set)."""
        if self.condition is None:
            return True
        return any(parent in configuration and configuration[parent] in labels for parent, labels in self.condition)

    @property
    def parents(self) -> list[str]:
        """The dimensions this one's condition looks at."""
        return [parent for parent, _ in self.condition or ()]

    @property
    @abstractmethod
    def size(self) -> int | None:
        """Number of distinct values, or None for a continuous range."""

    @abstractmethod
    def distribution(self) -> BaseDistribution:
        """The Optuna distribution that records this dimension in the trial store."""

    @abstractmethod
    def sample(self, rng: random.Random) -> Label:
        """A value drawn uniformly (log-uniformly for log ranges)."""

    @abstractmethod
    def mutate(self, label: Label, rng: random.Random) -> Label:
        """A value near ``label`` and different from it whenever the dimension has another value."""

    @abstractmethod
    def grid_values(self) -> list[Label]:
        """Every value, in order, for grid search."""

    @abstractmethod
    def describe(self) -> str:
        """A short human-readable account of the values, e.g. ``[0.1, 0.05]`` or ``1e-05 .. 0.1 (log)``."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable form, the inverse of :func:`dimension_from_dict`."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        stored = {name: list(value) if isinstance(value, tuple) else value for name, value in data.items()}
        return {"kind": type(self).__name__.lower(), **stored, "condition": _stored(self.condition)}

    @abstractmethod
    def suggest(self, trial: optuna.Trial) -> Label:
        """Record this dimension in ``trial`` and return the value the sampler chose."""


@dataclass(frozen=True)
class Choice(Dimension):
    """A list of options. ``labels[i]`` is stored in the trial store for the JSON value ``values[i]``."""

    labels: tuple[Label, ...] = ()
    values: tuple[Any, ...] = ()

    @property
    def size(self) -> int:
        return len(self.labels)

    def distribution(self) -> CategoricalDistribution:
        return CategoricalDistribution(self.labels)

    def suggest(self, trial: optuna.Trial) -> Label:
        return trial.suggest_categorical(self.name, list(self.labels))

    def sample(self, rng: random.Random) -> Label:
        return rng.choice(self.labels)

    def mutate(self, label: Label, rng: random.Random) -> Label:
        others = [other for other in self.labels if other != label]
        return rng.choice(others) if others else label

    def grid_values(self) -> list[Label]:
        return list(self.labels)

    def value_of(self, label: Label) -> Any:
        """The JSON value a label stands for."""
        return self.values[self.labels.index(label)]

    def describe(self) -> str:
        return "[" + ", ".join(str(label) for label in self.labels) + "]"


@dataclass(frozen=True)
class Range(Dimension):
    """A numeric interval ``[low, high]``; integer when ``integer`` is set, log-scaled when ``log`` is."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False
    integer: bool = False

    @property
    def size(self) -> int | None:
        return int(self.high - self.low) + 1 if self.integer else None

    def distribution(self) -> BaseDistribution:
        if self.integer:
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial: optuna.Trial) -> Label:
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    # A range is drawn and mutated on the unit interval. An integer range splits it into one equal cell per
    # integer (in log space for a log range: each integer k gets log(k+1) - log(k)), so every integer of a
    # linear range is equally likely, the two ends included.
    def _bounds(self) -> tuple[float, float]:
        high = self.high + 1 if self.integer else self.high
        return (math.log(self.low), math.log(high)) if self.log else (self.low, high)

    def _to_unit(self, value: float) -> float:
        start, end = self._bounds()
        if self.integer:  # the middle of the integer's cell
            middle = (math.log(value) + math.log(value + 1)) / 2 if self.log else value + 0.5
        else:
            middle = math.log(value) if self.log else value
        return (middle - start) / (end - start)

    def _from_unit(self, unit: float) -> Label:
        start, end = self._bounds()
        position = start + min(1.0, max(0.0, unit)) * (end - start)
        value = math.exp(position) if self.log else position
        if self.integer:
            return int(min(self.high, max(self.low, math.floor(value))))
        return float(min(self.high, max(self.low, value)))

    def sample(self, rng: random.Random) -> Label:
        return self._from_unit(rng.random())

    def mutate(self, label: Label, rng: random.Random) -> Label:
        if self.low == self.high:
            return label
        for _ in range(20):
            unit = self._to_unit(float(label)) + rng.gauss(0.0, _MUTATION_SCALE)
            while not 0.0 <= unit <= 1.0:  # reflected at the ends, so that they are not hit more than inside
                unit = -unit if unit < 0.0 else 2.0 - unit
            mutated = self._from_unit(unit)
            if mutated != label:
                return mutated
        # An integer range with a narrow step: a neighbour, as promised.
        neighbours = [v for v in (int(label) - 1, int(label) + 1) if self.low <= v <= self.high]
        return rng.choice(neighbours)

    def grid_values(self) -> list[Label]:
        if not self.integer:
            raise TypeError(f"{self.name} is a continuous range ({self.describe()}) and has no grid")
        return list(range(int(self.low), int(self.high) + 1))

    def describe(self) -> str:
        return f"{self.low} .. {self.high}" + (" (log)" if self.log else "")


def _stored(condition: Condition | None) -> list | None:
    return None if condition is None else [[parent, list(labels)] for parent, labels in condition]


def _condition(stored: Any) -> Condition | None:
    """A condition as stored in JSON; a study of an earlier version stored ``[parent, label]``."""
    if not stored:
        return None
    if isinstance(stored[0], str):
        return when(stored[0], stored[1])
    return tuple((parent, tuple(labels)) for parent, labels in stored)


def dimension_from_dict(data: dict[str, Any]) -> Dimension:
    """Rebuild a dimension from :meth:`Dimension.to_dict` output."""
    cls = Choice if data["kind"] == "choice" else Range
    values = {f.name: data[f.name] for f in fields(cls) if f.name != "condition"}
    values = {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}
    return cls(**values, condition=_condition(data.get("condition")))
