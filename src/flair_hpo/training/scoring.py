"""Which number of Flair's dev evaluation scores a trial, and which way is better; a trial's score is its best
epoch's."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flair_hpo.space import parameter_enums as p

if TYPE_CHECKING:
    from flair_hpo.space import Configuration

# Flair's name for each metric in its evaluation scores.
_METRIC_KEYS: dict[p.EvaluationMetric, tuple[str, ...]] = {
    p.EvaluationMetric.MICRO_F1_SCORE: ("micro avg", "f1-score"),
    p.EvaluationMetric.MACRO_F1_SCORE: ("macro avg", "f1-score"),
    p.EvaluationMetric.MICRO_ACCURACY: ("accuracy",),
    p.EvaluationMetric.MACRO_ACCURACY: ("macro avg", "recall"),
}


#: The name of the dev loss as an objective (:attr:`Objective.name`).
DEV_LOSS = "dev loss"


@dataclass(frozen=True)
class Objective:
    """The dev metric, and whether the search maximizes it or minimizes the dev loss."""

    evaluation_metric: p.EvaluationMetric
    optimization_value: p.OptimizationValue

    @classmethod
    def of(cls, source: Any) -> Objective:
        """The objective of a search space or a configuration."""
        return cls(source.evaluation_metric, source.optimization_value)

    @property
    def minimize(self) -> bool:
        return self.optimization_value is p.OptimizationValue.DEV_LOSS

    @property
    def direction(self) -> str:
        """Optuna's study direction."""
        return "minimize" if self.minimize else "maximize"

    @property
    def name(self) -> str:
        """What the value is, e.g. ``dev micro_f1_score``."""
        return DEV_LOSS if self.minimize else f"dev {self.evaluation_metric.value}"

    @property
    def flair_main_metric(self) -> tuple[str, str]:
        """Flair's ``main_evaluation_metric``, which its learning-rate annealing follows."""
        key = _METRIC_KEYS[self.evaluation_metric]
        return key if len(key) == 2 else ("micro avg", "f1-score")

    def metric_of(self, scores: dict[tuple[str, ...], float]) -> float:
        """The evaluation metric among Flair's scores of one split (keys without the split name)."""
        return float(scores[_METRIC_KEYS[self.evaluation_metric]])

    def value_of(self, scores: dict[tuple[str, ...], float]) -> float:
        """The number this objective optimizes, from Flair's scores of one dev evaluation."""
        return float(scores[("loss",)]) if self.minimize else self.metric_of(scores)

    def is_better(self, value: float, than: float | None) -> bool:
        """Whether ``value`` beats ``than`` (anything beats None; NaN beats nothing)."""
        if math.isnan(value):
            return False
        if than is None:
            return True
        return value < than if self.minimize else value > than

    def test_score(self, model: Any, configuration: Configuration, sentences: Any) -> float:
        """The evaluation metric of ``model`` on ``sentences`` (the test split, for the final model only)."""
        return self.evaluate(model, sentences, configuration.label_type)[0]

    def evaluate(self, model: Any, sentences: Any, label_type: str) -> tuple[float, Any]:
        """The evaluation metric of ``model`` on ``sentences``, and Flair's result (with its detailed report)."""
        result = model.evaluate(
            sentences,
            gold_label_type=label_type,
            mini_batch_size=32,
            main_evaluation_metric=self.flair_main_metric,
            return_loss=False,
        )
        scores = {tuple(k) if isinstance(k, tuple) else (k,): v for k, v in result.scores.items()}
        return self.metric_of(scores), result
