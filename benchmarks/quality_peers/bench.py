"""The world a replayed peer searches in: the table trains, a clock counts the table's seconds, the budget stops.

The same rules as flair-hpo's replay (quality_replay.py): a configuration's seeds come in an order drawn per
search (its n-th training gets the n-th, again from the first when a search trains it more often than the
table has seeds), an epoch costs the row's seconds for it, a trial costs :data:`OVERHEAD_S` beyond its training
(and again each time a paused trial is resumed from its checkpoint), and the epoch under way when the budget
runs out is the last: what each peer returns then is judged like flair-hpo's model (quality_replay.judged).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from quality_replay import OVERHEAD_S, Replayed, Row, Table, judged

from flair_hpo.space import Label, SearchSpace, configuration_key


@dataclass
class Training:
    """One training of a configuration with one of the table's seeds, as far as it went."""

    key: str
    seed: int
    row: Row
    epochs: int = 0
    values: list[float] = field(default_factory=list)

    @property
    def best(self) -> float | None:
        """The kept model's dev score: its best epoch's so far (None before the first epoch)."""
        return max(self.values) if self.values else None


class Bench:
    """One replayed search: ``budget`` x the grid's time on ``table``, the seed noise drawn from ``seed``."""

    def __init__(self, table: Table, budget: float, seed: int, overhead: float = OVERHEAD_S) -> None:
        self.table = table
        self.deadline = budget * table.grid_seconds
        self.overhead = overhead
        self.clock = 0.0
        self.noise = random.Random(f"noise:{seed}")
        self.orders: dict[str, list[int]] = {}
        self.trainings: list[Training] = []

    @property
    def spent(self) -> bool:
        return self.clock >= self.deadline

    def start(self, labels: dict[str, Label]) -> Training:
        """A new training of ``labels`` with the configuration's next seed; it pays the trial's overhead."""
        key = configuration_key(labels)
        replicates = self.table.replicates
        order = self.orders.setdefault(key, self.noise.sample(range(replicates), replicates))
        done = sum(1 for t in self.trainings if t.key == key)
        seed = order[done % replicates]
        training = Training(key, seed, self.table.row(key, seed))
        self.trainings.append(training)
        self.clock += self.overhead
        return training

    def resume(self, training: Training) -> None:
        """Take a paused training up again from its checkpoint: a trial's overhead again, no epoch repeated."""
        self.clock += self.overhead

    def step(self, training: Training) -> float | None:
        """Train ``training`` one more epoch and return its dev score; None once the budget is spent or the
        training is at its last epoch. A training that diverged scores 0 (and takes its whole time at once)."""
        row, epoch = training.row, training.epochs
        if self.spent or epoch >= self.table.max_epochs:
            return None
        if row.error or not row.dev:
            self.clock += (row.seconds[-1] if row.seconds else 0.0) if epoch == 0 else 0.0
            value = 0.0
        else:
            self.clock += row.seconds[epoch] - (row.seconds[epoch - 1] if epoch else 0.0)
            value = row.dev[epoch]
        training.epochs += 1
        training.values.append(value)
        return value

    def train(self, training: Training, epochs: int) -> float | None:
        """Train up to ``epochs`` epochs (fewer if the budget runs out); the kept model's dev score."""
        while training.epochs < epochs and self.step(training) is not None:
            pass
        return training.best

    def outcome(self, model: Training | None) -> Replayed:
        """The search's outcome when it returns ``model``'s training (None: nothing)."""
        chosen = None if model is None or model.best is None else (model.key, model.seed, model.epochs)
        return judged(self.table, chosen, [(t.key, t.seed) for t in self.trainings], self.clock, len(self.trainings))

    def best_reported(self) -> Training | None:
        """The training with the best dev score reported at any epoch (the first among equals): the model a
        tool that keeps its best result returns."""
        scored = [t for t in self.trainings if t.best is not None]
        return max(scored, key=lambda t: t.best) if scored else None


def numeric(labels: tuple[Any, ...]) -> bool:
    """Whether a dimension's options are numbers (an ordinal), not names or flags (a categorical)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in labels)


def tuned(space: SearchSpace) -> tuple[dict[str, tuple[Label, ...]], dict[str, Label]]:
    """The space's dimensions with more than one option (in the space's order) and its fixed values; a peer
    sees the former. Conditional dimensions with a choice between branches are not supported."""
    dimensions, fixed = {}, {}
    for dimension in space.dimensions:
        labels = tuple(dimension.grid_values())
        if dimension.condition is not None and any(len(options) > 1 for _, options in dimension.condition):
            raise ValueError(f"{dimension.name} depends on a choice between branches: not supported by the peers")
        if len(labels) > 1:
            dimensions[dimension.name] = labels
        else:
            fixed[dimension.name] = labels[0]
    return dimensions, fixed
