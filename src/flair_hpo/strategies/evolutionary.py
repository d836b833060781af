"""Evolutionary search: selection, crossover and mutation over every parameter of the space."""

from __future__ import annotations

import random
from typing import Any

from flair_hpo.checks import probability, whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.records import ConfigurationScore, History
from flair_hpo.space import Label, configuration_key
from flair_hpo.strategies.base import SearchStrategy

_TOURNAMENT_SIZE = 2
_BREEDING_ATTEMPTS = 50
#: The automatic population: a 12th of the space's configurations, from 3 to 12 (not from the budget,
#: which a resumed study may change), so that breeding starts within a tenth of a grid's time. Replayed on
#: the search-quality tables (benchmarks/search_quality.py, 100 searches each), no population (3, 6, 12),
#: mutation rate (0.1-0.5) or cross rate (0.2-0.8) did measurably better or worse than random search
#: within 25% of a grid's time: those grids have 3-5 parameters, and breeding starts late.
_POPULATION_LIMITS = (3, 12)
_CONFIGURATIONS_PER_MEMBER = 12


class EvolutionarySearch(SearchStrategy):
    """A genetic algorithm over configurations.

    Generation 0 is random; then each child is bred from two parents chosen by tournament among the best
    ``population_size`` configurations so far (uniform crossover with probability ``cross_rate``, else a copy
    of the first), each parameter mutating with probability ``mutation_rate``, until it is new. Children are
    bred from whatever has finished, so workers never wait for a generation; a ``GENERATIONS`` budget of ``g``
    trains ``g * population_size`` trials.

    Args:
        population_size: configurations per generation, and the size of the breeding pool; None sizes it to
            the space (a 12th of its configurations, from 3 to 12).
        cross_rate: probability that a child is bred by crossover rather than copied from one parent.

    Example::

        search_strategy = search_strategies.EvolutionarySearch(population_size=8, seed=1)
        search_strategy.make_configurations(search_space)
    """

    def __init__(
        self,
        population_size: int | None = None,
        mutation_rate: float = 0.1,
        cross_rate: float = 0.4,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        self._population_size = (
            None
            if population_size is None
            else whole_number(population_size, "population_size", StrategyError, 2, 100_000)
        )
        self.mutation_rate = probability(mutation_rate, "mutation_rate", StrategyError)
        self.cross_rate = probability(cross_rate, "cross_rate", StrategyError)

    @property
    def population_size(self) -> int:
        """Configurations per generation: as given, else sized to the bound search space."""
        if self._population_size is not None:
            return self._population_size
        low, high = _POPULATION_LIMITS
        size = self.space.size
        return high if size is None else max(low, min(high, size // _CONFIGURATIONS_PER_MEMBER))

    @property
    def generation_size(self) -> int:
        return self.population_size

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "population_size": self.population_size if self.search_space else self._population_size,
            "mutation_rate": self.mutation_rate,
            "cross_rate": self.cross_rate,
        }

    # ----------------------------------------------------------------------------------- breeding
    def propose(self, history: History, rng: random.Random) -> dict[str, Label] | None:
        taken = history.tried()
        pool = history.configurations()[: self.population_size]
        if len(history.counted()) < self.population_size or len(pool) < 2:
            return self.random_unseen(taken, rng)
        for _ in range(_BREEDING_ATTEMPTS):
            first = self._tournament(pool, rng)
            second = self._tournament([r for r in pool if r is not first], rng)
            child = (
                self._crossover(first.labels, second.labels, rng) if rng.random() < self.cross_rate else first.labels
            )
            child = self._mutate(child, rng, self.mutation_rate)
            # A repeat of a tried configuration: mutate it further, staying near its parents.
            for _ in range(len(child)):
                if configuration_key(child) not in taken:
                    return child
                child = self._mutate(child, rng, 1.0 / len(child))
        return self.random_unseen(taken, rng)

    def _tournament(self, pool: list[ConfigurationScore], rng: random.Random) -> ConfigurationScore:
        """The best of a few configurations drawn at random (with replacement) from ``pool``, sorted best first."""
        return pool[min(rng.randrange(len(pool)) for _ in range(_TOURNAMENT_SIZE))]

    def _crossover(self, first: dict[str, Label], second: dict[str, Label], rng: random.Random) -> dict[str, Label]:
        child: dict[str, Label] = {}
        for dimension in self.space.dimensions:
            if dimension.is_active(child):
                inherited = [parent[dimension.name] for parent in (first, second) if dimension.name in parent]
                child[dimension.name] = rng.choice(inherited) if inherited else dimension.sample(rng)
        return child

    def _mutate(self, parent: dict[str, Label], rng: random.Random, rate: float) -> dict[str, Label]:
        child: dict[str, Label] = {}
        for dimension in self.space.dimensions:
            if not dimension.is_active(child):
                continue
            if dimension.name not in parent:
                child[dimension.name] = dimension.sample(rng)
            elif rng.random() < rate:
                child[dimension.name] = dimension.mutate(parent[dimension.name], rng)
            else:
                child[dimension.name] = parent[dimension.name]
        return child
