"""Results, all read from the study store: the leaderboard, the best model and its configuration, the
report, and what a search hands back."""

from flair_hpo.results.best import BEST_CONFIGURATION, BEST_MODEL, FINAL_MODEL, BestModelKeeper
from flair_hpo.results.leaderboard import LEADERBOARD, leaderboard_rows, write_leaderboard
from flair_hpo.results.outcome import OptimizationResult

__all__ = [
    "BEST_CONFIGURATION",
    "BEST_MODEL",
    "FINAL_MODEL",
    "LEADERBOARD",
    "BestModelKeeper",
    "OptimizationResult",
    "leaderboard_rows",
    "write_leaderboard",
]
