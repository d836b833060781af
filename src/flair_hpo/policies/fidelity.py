"""Data halving: configurations are screened on a small part of the training split, and only the best are
trained on more of it (successive halving over the size of the training split, with the promotion rule of
asynchronous successive halving, ASHA: Li et al., 2020).

New configurations train on the smallest fraction (1/9 by default). Whenever a configuration is among the
best ``1 / reduction_factor`` of those trained on a fraction, it is trained again on the next fraction (1/3,
then the whole split), before any new configuration is started. Only trainings on the whole split count for
a configuration's dev value, the choice of the best configuration and the best model. Workers never wait for
each other: promotions are decided from what has finished.

A smaller training split is cheaper when training dominates a trial's time (a BiLSTM-CRF tagger on a large
corpus), not when a trial's fixed costs do (loading a transformer, evaluating dev). The search-quality
benchmark measures both; ``pruner="auto"`` follows it (see :mod:`flair_hpo.training.pruning`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flair_hpo.checks import whole_number
from flair_hpo.errors import StrategyError
from flair_hpo.records import History, trained_key
from flair_hpo.space import Label


@dataclass(frozen=True)
class DataFidelity:
    """The fractions of the training split a configuration climbs through, and how few of them climb."""

    fractions: tuple[float, ...] = (1 / 9, 1 / 3, 1.0)
    reduction_factor: int = 3
    #: At the end of the budget: the best configuration screened so far goes straight to the whole split, so
    #: that a search always ends with a configuration trained on it.
    last_call: bool = False

    def __post_init__(self) -> None:
        whole_number(self.reduction_factor, "reduction_factor", StrategyError, minimum=2)
        rising = list(self.fractions) == sorted(set(self.fractions))
        if not rising or self.fractions[0] <= 0 or self.fractions[-1] != 1:
            raise StrategyError(f"fractions must rise from above 0 to 1, not {self.fractions}")

    def with_last_call(self) -> DataFidelity:
        """This fidelity at the end of the budget (see :attr:`last_call`)."""
        return replace(self, last_call=True)

    @property
    def first(self) -> float:
        """The fraction new configurations train on."""
        return self.fractions[0]

    def promotion(self, history: History) -> tuple[dict[str, Label], float] | None:
        """A configuration to train on the next fraction, with that fraction (the highest rung first), or None
        when no configuration has earned one."""
        taken = history.taken()
        if self.last_call and not history.configurations(1.0):
            for rung in reversed(range(len(self.fractions) - 1)):
                for configuration in history.configurations(self.fractions[rung]):
                    if trained_key(configuration.labels, 0, 1.0) not in taken:
                        return configuration.labels, 1.0
        for rung in reversed(range(len(self.fractions) - 1)):
            done = history.configurations(self.fractions[rung])
            for configuration in done[: len(done) // self.reduction_factor]:
                if trained_key(configuration.labels, 0, self.fractions[rung + 1]) not in taken:
                    return configuration.labels, self.fractions[rung + 1]
        return None
