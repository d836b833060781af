"""The configurations a list of dimensions spans: every one of them (a grid), how many, one drawn at random,
and an order in which each dimension comes after those its condition looks at."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from flair_hpo.space.dimensions import Dimension, Label


def grid(dimensions: list[Dimension]) -> Iterator[dict[str, Label]]:
    """Every configuration of all-options ``dimensions``, each conditional branch its own product."""

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


def _counter(dimensions: list[Dimension]) -> Callable[[int, dict[str, Label]], int]:
    """``count(index, labels)``: how many completions ``dimensions[index:]`` have after ``labels``."""
    parents = {parent for d in dimensions for parent in d.parents}
    memo: dict[tuple, int] = {}

    def count(index: int, labels: dict[str, Label]) -> int:
        if index == len(dimensions):
            return 1
        key = (index, tuple(sorted((k, str(v)) for k, v in labels.items() if k in parents)))
        if key not in memo:
            dimension = dimensions[index]
            if not dimension.is_active(labels):
                memo[key] = count(index + 1, labels)
            elif dimension.name not in parents:  # nothing depends on its value
                memo[key] = (dimension.size or 1) * count(index + 1, labels)
            else:
                memo[key] = sum(count(index + 1, {**labels, dimension.name: v}) for v in dimension.grid_values())
        return memo[key]

    return count


def count_configurations(dimensions: list[Dimension]) -> int | None:
    """How many configurations ``dimensions`` span; None when a continuous range makes it unbounded."""
    if any(d.size is None for d in dimensions):
        return None
    return _counter(dimensions)(0, {})


def sample_configuration(
    dimensions: list[Dimension], rng: random.Random, partial: dict[str, Label] | None = None
) -> dict[str, Label]:
    """A configuration drawn uniformly from those ``dimensions`` span (a value others depend on in proportion to
    the configurations it leads to); values in ``partial`` are kept where they apply."""
    partial = partial or {}
    count = _counter(dimensions)
    parents = {parent for d in dimensions for parent in d.parents}
    labels: dict[str, Label] = {}
    for index, dimension in enumerate(dimensions):
        if not dimension.is_active(labels):
            continue
        if dimension.name in partial:
            labels[dimension.name] = partial[dimension.name]
        elif dimension.name in parents:
            values = dimension.grid_values()
            weights = [count(index + 1, {**labels, dimension.name: value}) for value in values]
            labels[dimension.name] = rng.choices(values, weights)[0]
        else:
            labels[dimension.name] = dimension.sample(rng)
    return labels


def parents_first(dimensions: list[Dimension]) -> list[Dimension]:
    """``dimensions`` in their order, except that each comes after the dimensions its condition looks at."""
    placed: list[Dimension] = []
    names: set[str] = set()
    waiting = list(dimensions)
    while waiting:
        ready = next(
            (d for d in waiting if all(p in names or p not in {w.name for w in waiting} for p in d.parents)), None
        )
        if ready is None:
            raise ValueError(f"the conditions of {[d.name for d in waiting]} depend on each other")
        waiting.remove(ready)
        placed.append(ready)
        names.add(ready.name)
    return placed
