"""What a search does, as events that anything may listen to (the progress lines, experiment trackers), as
Flair's trainer plugins hook the trainer's events.

A listener that fails is said once in the log and then left out: watching a search never stops it. Example::

    class Printer(SearchListener):
        def epoch_ended(self, epoch: EpochEnded) -> None:
            print(epoch.trial, epoch.epoch, epoch.value)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flair_hpo.records import TrialRecord
from flair_hpo.space import Label

log = logging.getLogger("flair_hpo")


@dataclass(frozen=True)
class SearchStarted:
    """A search (a worker's session of it) begins."""

    study_name: str
    #: The search space, the strategy's settings and the run settings, as the study stores them.
    search_space: dict[str, Any]
    strategy: dict[str, Any]
    run: dict[str, Any]
    objective: str
    #: The study's store (:class:`~flair_hpo.study.trial_store.TrialStore`), for a listener that notes
    #: something every worker of the study must find (a tracker's run id, say).
    store: Any = field(repr=False, default=None)


@dataclass(frozen=True)
class TrialStarted:
    """A trial begins to train ``labels`` with its ``replicate``-th seed."""

    trial: int
    labels: dict[str, Label]
    seed: int | None
    replicate: int
    #: The interrupted trial this one trains again, if it is a retry.
    retry_of: int | None
    #: The best trial so far (number and value) and what is left of the budget, for people.
    best: tuple[int, float] | None
    budget_left: str
    #: The best trial's configuration.
    best_labels: dict[str, Label] = field(default_factory=dict)
    #: Seconds left to the budget's end: a time budget's own; for a budget of runs, an estimate (the runs left
    #: times the median trial's time), None before any trial finished.
    seconds_left: float | None = None
    #: Whether the budget is wall time (then ``seconds_left`` is the budget's own and runs down as people watch).
    timed: bool = False
    #: The study's trials by status when this one started (``{"complete": 4, "pruned": 1}``).
    statuses: dict[str, int] = field(default_factory=dict)
    #: For a budget of runs: the runs left, this one included (None for a time budget).
    runs_left: int | None = None


@dataclass(frozen=True)
class BatchEnded:
    """A trial trained ``batch`` of its epoch's ``batches`` mini-batches (told at most twice a second)."""

    trial: int
    epoch: int
    batch: int
    batches: int
    #: The last mini-batch's training loss.
    train_loss: float | None


@dataclass(frozen=True)
class EpochEnded:
    """A trial's epoch was scored on dev."""

    trial: int
    epoch: int
    #: The objective's value (the dev score, or the dev loss when that is optimized).
    value: float
    dev_score: float | None
    dev_loss: float | None
    train_loss: float | None


@dataclass(frozen=True)
class TrialFinished:
    """A trial ended: ``record`` as the study holds it now (its status, value and notes), and the reason for
    people (``"dev micro_f1_score 0.8123 (best epoch 3 of 4) in 41.2 s"``, an error)."""

    record: TrialRecord
    detail: str


@dataclass(frozen=True)
class SearchStopped:
    """This process's search was stopped by Ctrl-C or SIGTERM, without a result; ``others_running``: others' trials."""

    reason: str
    others_running: bool


class SearchListener:
    """Hooks on what a search does (see the module's docstring)."""

    def search_started(self, event: SearchStarted) -> None:
        """The search begins."""

    def trial_started(self, event: TrialStarted) -> None:
        """A trial begins to train."""

    def batch_ended(self, event: BatchEnded) -> None:
        """A trial trained some mini-batches of its epoch (for progress inside long epochs)."""

    def epoch_ended(self, event: EpochEnded) -> None:
        """A trial's epoch was scored."""

    def trial_finished(self, event: TrialFinished) -> None:
        """A trial ended (complete, pruned, failed or interrupted)."""

    def search_finished(self, result: Any) -> None:
        """The search ended with ``result`` (an :class:`~flair_hpo.results.outcome.OptimizationResult`)."""

    def search_stopped(self, event: SearchStopped) -> None:
        """The search was stopped (Ctrl-C, SIGTERM) before it had a result; the next run resumes it."""


class Listeners(SearchListener):
    """Several listeners, told in order; one that fails is said once and then left out."""

    def __init__(self, listeners: list[SearchListener]) -> None:
        self.listeners = list(listeners)

    def _tell(self, method: str, event: Any) -> None:
        for listener in list(self.listeners):
            try:
                getattr(listener, method)(event)
            except Exception as error:
                log.warning(
                    "%s stopped listening to the search (%s: %s)", type(listener).__name__, type(error).__name__, error
                )
                log.debug("why %s stopped", type(listener).__name__, exc_info=True)
                self.listeners.remove(listener)


def _telling(method: str) -> Any:
    def tell(self: Listeners, event: Any) -> None:
        self._tell(method, event)

    return tell


# Each hook of SearchListener, told to every listener.
for _method in [name for name in vars(SearchListener) if not name.startswith("_")]:
    setattr(Listeners, _method, _telling(_method))
