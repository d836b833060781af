"""Noise-aware selection: the best configurations are trained again with further seeds before one is chosen.

Why: seed noise is often larger than the differences a search chooses between. Example::

    Orchestrator(corpus, "hyperopt/trec6", space, strategy, reseeding=Reseeding(finalists=3, seeds=3))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flair_hpo.checks import whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.records import ConfigurationScore, History, trained_key
from flair_hpo.space import Label


@dataclass(frozen=True)
class Reseeding:
    """How many of the best configurations are trained again, and with how many seeds in all;
    ``Reseeding(finalists=0)`` chooses the best single trial."""

    finalists: int = 3
    seeds: int = 3

    def __post_init__(self) -> None:
        whole_number(self.finalists, "finalists", StrategyError, 0, 1000)
        whole_number(self.seeds, "seeds", StrategyError, minimum=1, maximum=100)

    @property
    def trials(self) -> int:
        """The trials reseeding takes at most: kept from the budget for the end of the search."""
        return self.finalists * (self.seeds - 1)

    def next(self, history: History) -> tuple[dict[str, Label], int] | None:
        """The finalist to train again next, with its seed number (the one with fewest seeds), or None."""
        taken = history.taken()
        finalists = history.configurations()[: self.finalists]
        for configuration in sorted(finalists, key=lambda c: c.seeds):  # stable: the better first among equals
            for replicate in range(1, self.seeds):
                if trained_key(configuration.labels, replicate) not in taken:
                    return configuration.labels, replicate
        return None

    def ranked(self, history: History) -> list[ConfigurationScore]:
        """Every scored configuration in the order a search chooses (the first wins): by mean, those with the
        most seeds first when finalists are trained again, else by mean alone."""
        configurations = history.configurations()
        if not configurations or self.finalists == 0:
            return configurations
        most = min(self.seeds, max(c.seeds for c in configurations))
        return [c for c in configurations if c.seeds >= most] + [c for c in configurations if c.seeds < most]

    def winner(self, history: History) -> ConfigurationScore | None:
        """The configuration a search returns: the best mean among those trained with the most seeds."""
        ranked = self.ranked(history)
        return ranked[0] if ranked else None

    def settings(self) -> dict[str, Any]:
        return {"finalists": self.finalists, "seeds": self.seeds}
