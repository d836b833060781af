"""The steering parameters of a search space: how long to search and what "better" means."""

from __future__ import annotations

import math
from typing import Any

from flair_hpo.checks import is_real_number, is_whole_number
from flair_hpo.errors import SearchSpaceError
from flair_hpo.space import parameter_enums as p

# Beyond these, a number can only be a slip: a million trials, a century, a hundred thousand epochs.
_MOST = {p.Budget.RUNS: 1_000_000, p.Budget.GENERATIONS: 100_000, p.Budget.TIME_IN_H: 24 * 365 * 10}
_MOST_EPOCHS = 100_000


class Steering:
    """Budget, evaluation metric, optimization value and epoch limit of a search."""

    def __init__(self) -> None:
        self.budget: tuple[p.Budget, float] | None = None
        self.evaluation_metric: p.EvaluationMetric | None = None
        self.optimization_value: p.OptimizationValue | None = None
        self.max_epochs: int | None = None
        self.training_mode: p.TrainingMode | None = None

    def add_budget(self, budget: p.Budget, amount: float) -> None:
        """How much to search: hours (``TIME_IN_H``), trials (``RUNS``) or ``GENERATIONS``."""
        if not isinstance(budget, p.Budget):
            raise SearchSpaceError(f"add_budget takes a parameter.Budget member (e.g. Budget.RUNS), not {budget!r}")
        integral = budget is not p.Budget.TIME_IN_H
        if not (is_whole_number(amount) if integral else is_real_number(amount)):
            kind = "a number of hours" if not integral else f"a whole number of {budget.value}"
            raise SearchSpaceError(f"the {budget.name} budget must be {kind}, not {amount!r}")
        if not amount > 0 or not math.isfinite(amount):
            raise SearchSpaceError(f"the {budget.name} budget must be positive, not {amount!r}")
        if amount > _MOST[budget]:
            raise SearchSpaceError(
                f"the {budget.name} budget of {amount!r} is beyond any search; at most {_MOST[budget]}"
            )
        self.budget = (budget, amount)

    def add_evaluation_metric(self, evaluation_metric: p.EvaluationMetric) -> None:
        """The dev score that ranks configurations."""
        if not isinstance(evaluation_metric, p.EvaluationMetric):
            raise SearchSpaceError(
                f"add_evaluation_metric takes a parameter.EvaluationMetric member, not {evaluation_metric!r}"
            )
        self.evaluation_metric = evaluation_metric

    def add_optimization_value(self, optimization_value: p.OptimizationValue) -> None:
        """Maximize the dev score (``DEV_SCORE``) or minimize the dev loss (``DEV_LOSS``)."""
        if not isinstance(optimization_value, p.OptimizationValue):
            raise SearchSpaceError(
                f"add_optimization_value takes a parameter.OptimizationValue member, not {optimization_value!r}"
            )
        self.optimization_value = optimization_value

    def add_max_epochs_per_training_run(self, max_epochs: int) -> None:
        """The most epochs one configuration is trained for."""
        if not is_whole_number(max_epochs) or not 1 <= max_epochs <= _MOST_EPOCHS:
            raise SearchSpaceError(
                f"max epochs per training run must be a positive integer up to {_MOST_EPOCHS}, not {max_epochs!r}"
            )
        self.max_epochs = max_epochs

    def add_training_mode(self, training_mode: p.TrainingMode | str) -> None:
        """Train every configuration with ``fine_tune`` or with ``train`` (see :class:`parameter.TrainingMode`)."""
        try:
            self.training_mode = p.TrainingMode(training_mode)
        except ValueError:
            raise SearchSpaceError(
                f"add_training_mode takes parameter.TrainingMode.FINE_TUNE or .TRAIN ('fine_tune' or 'train'), "
                f"not {training_mode!r}"
            ) from None

    @property
    def direction(self) -> str:
        """``"maximize"`` for dev scores, ``"minimize"`` for the dev loss."""
        return "minimize" if self.optimization_value is p.OptimizationValue.DEV_LOSS else "maximize"

    def steering_problems(self) -> list[str]:
        """What is missing, each with the call that adds it."""
        problems = []
        if self.budget is None:
            problems.append("no budget: call add_budget(parameter.Budget.RUNS, 20) or similar")
        if self.evaluation_metric is None:
            problems.append("no evaluation metric: call add_evaluation_metric(parameter.EvaluationMetric...)")
        if self.optimization_value is None:
            problems.append("no optimization value: call add_optimization_value(parameter.OptimizationValue...)")
        if self.max_epochs is None:
            problems.append("no epoch limit: call add_max_epochs_per_training_run(n)")
        return problems

    def steering_to_dict(self) -> dict[str, Any]:
        return {
            "budget": None if self.budget is None else {"kind": self.budget[0].value, "amount": self.budget[1]},
            "evaluation_metric": self.evaluation_metric and self.evaluation_metric.value,
            "optimization_value": self.optimization_value and self.optimization_value.value,
            "max_epochs": self.max_epochs,
            "training_mode": self.training_mode and self.training_mode.value,
        }

    def steering_from_dict(self, data: dict[str, Any]) -> None:
        if data.get("budget"):
            self.budget = (p.Budget(data["budget"]["kind"]), data["budget"]["amount"])
        if data.get("evaluation_metric"):
            self.evaluation_metric = p.EvaluationMetric(data["evaluation_metric"])
        if data.get("optimization_value"):
            self.optimization_value = p.OptimizationValue(data["optimization_value"])
        self.max_epochs = data.get("max_epochs")
        if data.get("training_mode"):
            self.training_mode = p.TrainingMode(data["training_mode"])
