"""How much search is left: trials for RUNS and GENERATIONS, wall time for TIME_IN_H.

Budgets count what the study has done, in every session and worker: failed trials count, interrupted trials
queued again count once, and a time budget is the study's wall time by the study's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flair_hpo.errors import StrategyError
from flair_hpo.records import History, TrialRecord
from flair_hpo.space import SearchSpace
from flair_hpo.space import parameter_enums as p
from flair_hpo.strategies import Strategy


def space_exhausted(space: SearchSpace, history: History) -> bool:
    """Whether every configuration of a finite space has been tried (none is queued either)."""
    size = space.size
    return not history.waiting() and size is not None and len(history.tried()) >= size


def runs_allowed(space: SearchSpace, strategy: Strategy) -> int | None:
    """The number of trials the space's budget allows with ``strategy``; None for a time budget."""
    kind, amount = space.budget
    if kind is p.Budget.TIME_IN_H:
        return None
    if kind is p.Budget.RUNS:
        return int(amount)
    size = strategy.generation_size
    if size is None:
        raise StrategyError(
            "a GENERATIONS budget needs a strategy with generations (EvolutionarySearch, an Optuna genetic "
            f"sampler); {type(getattr(strategy, 'sampler', strategy)).__name__} counts RUNS or TIME_IN_H"
        )
    return int(amount) * size


def full_trial_seconds(history: History, to_the_end: bool = False) -> float | None:
    """The median seconds of a trial so far. ``to_the_end``: of the trials that were not cut short (pruned,
    stopped by the deadline), when there are any: what a training to the last epoch takes."""
    timed = [r for r in history.records if r.status.scored and r.duration_s is not None]
    if to_the_end and any(not r.cut_short for r in timed):
        timed = [r for r in timed if not r.cut_short]
    seconds = sorted(r.duration_s for r in timed)
    return seconds[len(seconds) // 2] if seconds else None


@dataclass
class BudgetState:
    """The budget of one session of a search."""

    kind: p.Budget
    runs: int | None
    deadline: float | None
    population_size: int | None = None
    #: The clock the deadline is read from: this process's monotonic clock (the search-quality benchmark
    #: replays searches on its own).
    clock: Callable[[], float] = time.monotonic
    amount_seconds: float = 0.0

    @classmethod
    def start(
        cls, space: SearchSpace, strategy: Strategy, used_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> BudgetState:
        """The budget of a session starting now, after ``used_seconds`` spent by earlier sessions."""
        kind, amount = space.budget
        deadline = clock() + amount * 3600 - used_seconds if kind is p.Budget.TIME_IN_H else None
        return cls(kind, runs_allowed(space, strategy), deadline, strategy.generation_size, clock, amount * 3600)

    def refresh(self, used_seconds: float) -> None:
        """A time budget's deadline from the wall time the study has used by now (every worker's sessions)."""
        if self.deadline is not None:
            self.deadline = self.clock() + self.amount_seconds - used_seconds

    def allows_new_trial(self, history: History) -> bool:
        """Whether another trial may start now."""
        if self.deadline is not None:
            return self.clock() < self.deadline
        return len(history.counted()) < self.runs

    def keeps_for(self, history: History, trials: int) -> bool:
        """Whether what is left is only what ``trials`` more trials take."""
        if trials <= 0:
            return False
        if self.deadline is None:
            return self.runs - len(history.counted()) <= trials
        typical = full_trial_seconds(history)
        return typical is not None and self.deadline - self.clock() <= trials * typical

    def keeps_last_call(self, history: History, cut: TrialRecord | None = None, max_epochs: int = 0) -> bool:
        """Whether a trial started now must be the last call: the last run of a RUNS budget; for a time budget,
        when what is left after a typical trial is less than a training to the last epoch takes (at the pace of
        the trial ``cut`` short, when that went slower)."""
        if self.deadline is None:
            return self.keeps_for(history, 1)
        typical, full = full_trial_seconds(history), full_trial_seconds(history, to_the_end=True)
        if cut is not None and cut.duration_s is not None and cut.epochs:
            full = max(full or 0.0, cut.duration_s / cut.epochs * max_epochs)
        return typical is not None and full is not None and self.deadline - self.clock() <= typical + full

    def admits(self, history: History, number: int) -> bool:
        """Whether trial ``number`` is within the budget: trials are admitted in the order they were opened,
        so workers racing for the last run never overshoot a RUNS or GENERATIONS budget."""
        if self.deadline is not None:
            return True
        return sum(r.counts and r.number < number for r in history.records) < self.runs

    def seconds_left(self, history: History) -> float | None:
        """Seconds to the budget's end (for runs: runs left times the median trial; None before one)."""
        if self.deadline is not None:
            return max(0.0, self.deadline - self.clock())
        typical = full_trial_seconds(history)
        return None if typical is None else max(0, self.runs - len(history.counted())) * typical

    def left(self, history: History) -> str:
        """What is left, for people: ``5 of 8 runs``, ``0:42:10``, ``generation 2 of 3``."""
        if self.deadline is not None:
            seconds = max(0, int(self.deadline - self.clock()))
            return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d} left"
        done = len(history.counted())
        text = f"{max(0, self.runs - done)} of {self.runs} runs left"
        if self.kind is p.Budget.GENERATIONS and self.population_size:
            generation = max(0, done - 1) // self.population_size + 1
            text += f" (generation {generation} of {self.runs // self.population_size})"
        return text
