"""The Flair trainer plugin that scores a trial after every epoch.

It hooks Flair's events rather than editing its training loop. An Optuna user can add it to a plain Flair
training to prune it::

    monitor = TrialMonitor(Objective(EvaluationMetric.MICRO_F1_SCORE, OptimizationValue.DEV_SCORE),
                           on_epoch=lambda epoch, value: trial.report(value, epoch),
                           should_prune=lambda epoch: trial.should_prune())
    ModelTrainer(model, corpus).train(base_path, plugins=[monitor], ...)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flair_hpo.errors import TrialError
from flair_hpo.flair_internals import TrainerPlugin, TrainingInterrupt
from flair_hpo.training.scoring import Objective

flair_log = logging.getLogger("flair")

#: Called after each epoch with (epoch, value of that epoch).
EpochCallback = Callable[[int, float], None]
#: Asked after each epoch's report whether to stop the trial now (the pruner's verdict).
PruneCheck = Callable[[int], bool]
#: Called now and then inside an epoch with (epoch, batches done, batches of the epoch, last batch's loss).
BatchCallback = Callable[[int, int, int, "float | None"], None]
#: Seconds between two calls of ``on_batch``: progress for people, not a cost per batch.
BATCH_REPORT_SECONDS = 0.5


class TrialMonitor(TrainerPlugin):
    """Scores every dev evaluation and keeps the best epoch's weights.

    Args:
        on_epoch: called with (epoch, value) after every dev evaluation.
        deadline: a ``time.monotonic()`` after which training stops at the next epoch boundary.
        should_prune: asked after every epoch but the last whether to stop the trial now.
        keep_going: asked after every batch; False abandons the trial there (its heartbeat was lost).
        on_batch: called inside each epoch, at most every ``BATCH_REPORT_SECONDS`` and after its last batch.
    """

    def __init__(
        self,
        objective: Objective,
        *,
        on_epoch: EpochCallback | None = None,
        deadline: float | None = None,
        should_prune: PruneCheck | None = None,
        max_epochs: int | None = None,
        keep_going: Callable[[], bool] | None = None,
        on_batch: BatchCallback | None = None,
    ):
        super().__init__()
        self.max_epochs = max_epochs
        self.keep_going = keep_going
        self.abandoned = False
        self.objective = objective
        self.on_epoch = on_epoch
        self.deadline = deadline
        self.should_prune = should_prune
        self.pruned = False
        self.history: list[float] = []
        self.best_value: float | None = None
        self.best_epoch = 0
        self.best_scores: dict[tuple[str, ...], float] = {}
        self.best_state: dict[str, Any] | None = None
        self.stopped_by_deadline = False
        self.last_loss: float | None = None
        #: The train loss of the last epoch (Flair's average over its batches).
        self.last_train_loss: float | None = None
        self._dev_scores: dict[tuple[str, ...], float] = {}
        self.on_batch = on_batch
        self._batch_loss: float | None = None
        self._batch_told = 0.0

    @property
    def last_scores(self) -> dict[tuple[str, ...], float]:
        """The dev scores of the last evaluation, by Flair's metric names (``("micro avg", "f1-score")``)."""
        return dict(self._dev_scores)

    @TrainerPlugin.hook
    def after_setup(self, **_: Any) -> None:
        # In the trial's training.log (Flair's own lines do not name the optimizer).
        optimizer = self.trainer.optimizer
        rates = sorted({group["lr"] for group in optimizer.param_groups})
        flair_log.info(f"flair-hpo: optimizer {type(optimizer).__name__}, learning rate(s) {rates}")

    @TrainerPlugin.hook
    def after_training_batch(self, batch_no: int, total_number_of_batches: int, epoch: int, **_: Any) -> None:
        if self.keep_going is not None and not self.keep_going():
            self.abandoned = True
            raise TrainingInterrupt("flair-hpo: the trial's heartbeat could not be written; abandoning it")
        if self.on_batch is not None:
            now, last = time.monotonic(), batch_no + 1 == total_number_of_batches
            if last or now - self._batch_told >= BATCH_REPORT_SECONDS:
                self._batch_told = now
                self.on_batch(epoch, batch_no + 1, total_number_of_batches, self._batch_loss)

    @TrainerPlugin.hook
    def metric_recorded(self, record: Any) -> None:
        name = tuple(record.name)
        if name == ("train", "loss"):
            if not math.isfinite(record.value):
                raise TrialError(f"the training loss became {record.value} in epoch {record.global_step}")
            self.last_train_loss = float(record.value)
        elif name == ("train", "batch_loss"):
            self._batch_loss = float(record.value)
        if name[0] == "dev" and isinstance(record.value, int | float):
            self._dev_scores[name[1:]] = float(record.value)

    @TrainerPlugin.hook
    def after_evaluation(self, epoch: int, **_: Any) -> None:
        value = self.objective.value_of(self._dev_scores)
        if not math.isfinite(value):
            raise TrialError(f"the {self.objective.name} was {value} after epoch {epoch}")
        self.history.append(value)
        self.last_loss = self._dev_scores.get(("loss",))
        if self.objective.is_better(value, self.best_value):
            self.best_value, self.best_epoch, self.best_scores = value, epoch, dict(self._dev_scores)
            # A CPU copy: the next epoch changes the weights in place.
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        if self.on_epoch is not None:
            self.on_epoch(epoch, value)
        last = self.max_epochs is not None and epoch >= self.max_epochs
        if self.should_prune is not None and not last and self.should_prune(epoch):  # never after the last epoch
            self.pruned = True
            raise TrainingInterrupt(f"flair-hpo: pruned after epoch {epoch}; other trials did better by now")
        if self.deadline is not None and not last and time.monotonic() >= self.deadline:
            self.stopped_by_deadline = True
            raise TrainingInterrupt("flair-hpo: the time budget is spent; stopping after this epoch")
