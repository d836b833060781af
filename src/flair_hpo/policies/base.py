"""Search policies: what to train besides the strategy's new configurations (reseeding, starts, the last call),
as Ray Tune wraps any searcher in a ``Repeater``; they need no sampler's cooperation."""

from __future__ import annotations

from dataclasses import dataclass, field

from flair_hpo.policies.last_call import cut_short_model
from flair_hpo.policies.reseeding import Reseeding
from flair_hpo.records import History, TrialRecord
from flair_hpo.space import Label


@dataclass(frozen=True)
class Policies:
    """The policies of one search (see the module's docstring)."""

    reseeding: Reseeding = field(default_factory=lambda: Reseeding(finalists=0))
    #: Configurations (labels) to train first, in order (:attr:`flair_hpo.space.SearchSpace.starts`).
    starts: tuple[dict[str, Label], ...] = ()
    #: Whether a model cut short is trained again to the end at the end of the budget (the last call).
    last_call: bool = True

    def cut_short(self, history: History) -> TrialRecord | None:
        """The trial cut short that the last call would train again to the end, or None."""
        return cut_short_model(history, self.reseeding) if self.last_call else None
