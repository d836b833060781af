"""One tunable dimension of a search space: a list of options, or a numeric range.

Strategies only ever see *labels*: the plain values (str, int, float, bool, None) a dimension takes in the
trial store. A :class:`Choice` keeps, next to each label, the JSON value it stands for (an optimizer's
dotted name, an embedding specification), which :mod:`flair_hpo.training.model_factory` turns into Flair objects.
"""

from __future__ import annotations

import json
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

Label = str | int | float | bool | None

#: ``(parent dimension name, parent label)``: the dimension is used only when the parent has that label.
Condition = tuple[str, Label]


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
        parent, label = self.condition
        return configuration.get(parent) == label

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

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable form, the inverse of :func:`dimension_from_dict`."""

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "choice",
            "name": self.name,
            "condition": self.condition,
            "labels": list(self.labels),
            "values": list(self.values),
        }


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

    def _to_unit(self, value: float) -> float:
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def _from_unit(self, unit: float) -> Label:
        unit = min(1.0, max(0.0, unit))
        if self.log:
            value = math.exp(math.log(self.low) + unit * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + unit * (self.high - self.low)
        if self.integer:
            return int(min(self.high, max(self.low, round(value))))
        return float(min(self.high, max(self.low, value)))

    def sample(self, rng: random.Random) -> Label:
        return self._from_unit(rng.random())

    def mutate(self, label: Label, rng: random.Random) -> Label:
        if self.low == self.high:
            return label
        for _ in range(20):
            mutated = self._from_unit(self._to_unit(float(label)) + rng.gauss(0.0, _MUTATION_SCALE))
            if mutated != label:
                return mutated
        return self.sample(rng)

    def grid_values(self) -> list[Label]:
        if not self.integer:
            raise TypeError(f"{self.name} is a continuous range ({self.describe()}) and has no grid")
        return list(range(int(self.low), int(self.high) + 1))

    def describe(self) -> str:
        return f"{self.low} .. {self.high}" + (" (log)" if self.log else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "range",
            "name": self.name,
            "condition": self.condition,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "integer": self.integer,
        }


def dimension_from_dict(data: dict[str, Any]) -> Dimension:
    """Rebuild a dimension from :meth:`Dimension.to_dict` output."""
    condition = tuple(data["condition"]) if data.get("condition") else None
    if data["kind"] == "choice":
        return Choice(
            name=data["name"],
            condition=condition,
            labels=tuple(data["labels"]),
            values=tuple(data["values"]),
        )
    return Range(
        name=data["name"],
        condition=condition,
        low=data["low"],
        high=data["high"],
        log=data["log"],
        integer=data["integer"],
    )


def grid(dimensions: list[Dimension]) -> Iterator[dict[str, Label]]:
    """Every configuration of all-options ``dimensions`` (parents first), each conditional branch its own
    product."""

    def expand(index: int, labels: dict[str, Label]) -> Iterator[dict[str, Label]]:
        if index == len(dimensions):
            yield dict(labels)
            return
        dimension = dimensions[index]
        if not dimension.is_active(labels):
            yield from expand(index + 1, labels)
            return
        for value in dimension.grid_values():
            labels[dimension.name] = value
            yield from expand(index + 1, labels)
        del labels[dimension.name]

    return expand(0, {})


def count_configurations(dimensions: list[Dimension]) -> int | None:
    """How many configurations ``dimensions`` span; None when a continuous range makes it unbounded."""
    if any(d.size is None for d in dimensions):
        return None
    total = 1
    for dimension in (d for d in dimensions if d.condition is None):
        branches = [d for d in dimensions if d.condition and d.condition[0] == dimension.name]
        if not branches:
            total *= dimension.size
            continue
        total *= sum(
            math.prod(d.size for d in branches if d.condition[1] == label) for label in dimension.grid_values()
        )
    return total
