"""Learning-rate annealing on the objective the search optimizes. Why: Flair anneals on an F1 score even when a
search optimizes the dev loss or an accuracy."""

from __future__ import annotations

import logging
from typing import Any

from flair.training_utils import AnnealOnPlateau

from flair_hpo.flair_internals import TrainerPlugin, TrainingInterrupt
from flair_hpo.training.monitor import TrialMonitor

log = logging.getLogger("flair")

#: The arguments of ``ModelTrainer.train`` that configure its annealing.
ANNEALING_ARGUMENTS = (
    "anneal_factor",
    "patience",
    "initial_extra_patience",
    "min_learning_rate",
    "anneal_with_restarts",
)


class ObjectiveAnnealing(TrainerPlugin):
    """Reduces the learning rate when the trial's objective has not improved for ``patience`` epochs; give it
    after the monitor (``plugins=[monitor, annealing]``)."""

    def __init__(
        self,
        monitor: TrialMonitor,
        anneal_factor: float = 0.5,
        patience: int = 3,
        initial_extra_patience: int = 0,
        min_learning_rate: float | list[float] = 0.0001,
        anneal_with_restarts: bool = False,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.anneal_factor = anneal_factor
        self.patience = patience
        self.initial_extra_patience = initial_extra_patience
        self.min_learning_rate = min_learning_rate
        self.anneal_with_restarts = anneal_with_restarts
        self.scheduler: AnnealOnPlateau | None = None

    @TrainerPlugin.hook
    def after_setup(self, **_: Any) -> None:
        self.scheduler = AnnealOnPlateau(
            factor=self.anneal_factor,
            patience=self.patience,
            initial_extra_patience=self.initial_extra_patience,
            mode="min" if self.monitor.objective.minimize else "max",
            optimizer=self.trainer.optimizer,
        )

    @TrainerPlugin.hook
    def after_evaluation(self, **_: Any) -> None:
        value, loss = self.monitor.history[-1], self.monitor.last_loss
        # Ties on a score are broken by the dev loss, as Flair does.
        reduced = self.scheduler.step(value, None if self.monitor.objective.minimize else loss)
        if reduced:
            rates = [group["lr"] for group in self.trainer.optimizer.param_groups]
            log.info(f" - {self.monitor.objective.name} did not improve: annealing the learning rate to {rates}")
        if self.anneal_with_restarts and reduced and self.monitor.best_state is not None:
            log.info("resetting to the best epoch's weights")
            self.model.load_state_dict(self.monitor.best_state)
        minimum = self.min_learning_rate
        for index, group in enumerate(self.trainer.optimizer.param_groups):
            floor = minimum[index] if isinstance(minimum, list) else minimum
            if group["lr"] < floor:
                raise TrainingInterrupt("learning rate too small - quitting training!")
