"""The search: the driver that decides each step from the study's history, the one loop that carries the
steps out, the budget, the run settings and what a search learns from earlier studies."""

from flair_hpo.search.budget import BudgetState, runs_allowed, space_exhausted
from flair_hpo.search.driver import Action, Driver, Opened, Step
from flair_hpo.search.loop import Loop

__all__ = ["Action", "BudgetState", "Driver", "Loop", "Opened", "Step", "runs_allowed", "space_exhausted"]
