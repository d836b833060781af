"""How much search is left: trials for RUNS and GENERATIONS, wall time for TIME_IN_H.

Budgets count what the study has done, in every session and every worker: a resumed search continues
where it stopped. Failed trials count; interrupted trials that were queued again count once, as their retry.
A time budget is the study's total wall time; sessions that overlap (parallel workers) count once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from optuna.samplers import BaseGASampler, BaseSampler

from flair_hpo.errors import StrategyError
from flair_hpo.space import SearchSpace
from flair_hpo.space import parameters as p
from flair_hpo.strategies import SearchStrategy
from flair_hpo.strategies.history import History


def generation_size(strategy: BaseSampler) -> int | None:
    """Trials per generation of a generational strategy (EvolutionarySearch, Optuna's genetic samplers)."""
    if isinstance(strategy, SearchStrategy):
        return strategy.generation_size
    if isinstance(strategy, BaseGASampler):
        return strategy.population_size
    return None


def space_exhausted(space: SearchSpace, history: History) -> bool:
    """Whether every configuration of a finite space has been tried (none is queued either)."""
    size = space.size
    return not history.waiting() and size is not None and len(history.taken()) >= size


def runs_allowed(space: SearchSpace, strategy: BaseSampler) -> int | None:
    """The number of trials the space's budget allows with ``strategy``; None for a time budget."""
    kind, amount = space.budget
    if kind is p.Budget.TIME_IN_H:
        return None
    if kind is p.Budget.RUNS:
        return int(amount)
    size = generation_size(strategy)
    if size is None:
        raise StrategyError(
            f"a GENERATIONS budget needs a strategy with generations (EvolutionarySearch); "
            f"{type(strategy).__name__} counts RUNS or TIME_IN_H"
        )
    return int(amount) * size


@dataclass
class BudgetState:
    """The budget of one session of a search."""

    kind: p.Budget
    runs: int | None
    deadline: float | None
    population_size: int | None = None

    @classmethod
    def start(cls, space: SearchSpace, strategy: BaseSampler, used_seconds: float) -> BudgetState:
        """The budget of a session starting now, after ``used_seconds`` spent by earlier sessions."""
        kind, amount = space.budget
        deadline = time.time() + amount * 3600 - used_seconds if kind is p.Budget.TIME_IN_H else None
        return cls(kind, runs_allowed(space, strategy), deadline, generation_size(strategy))

    def allows_new_trial(self, history: History) -> bool:
        """Whether another trial may start now."""
        if self.deadline is not None:
            return time.time() < self.deadline
        return len(history.counted()) < self.runs

    def admits(self, history: History, number: int) -> bool:
        """Whether trial ``number`` is within the budget: trials are admitted in the order they were opened,
        so workers racing for the last run never overshoot a RUNS or GENERATIONS budget."""
        if self.deadline is not None:
            return True
        return sum(r.counts and r.number < number for r in history.records) < self.runs

    def left(self, history: History) -> str:
        """What is left, for people: ``5 of 8 runs``, ``0:42:10``, ``generation 2 of 3``."""
        if self.deadline is not None:
            seconds = max(0, int(self.deadline - time.time()))
            return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d} left"
        done = len(history.counted())
        text = f"{max(0, self.runs - done)} of {self.runs} runs left"
        if self.kind is p.Budget.GENERATIONS and self.population_size:
            generation = max(0, done - 1) // self.population_size + 1
            text += f" (generation {generation} of {self.runs // self.population_size})"
        return text
