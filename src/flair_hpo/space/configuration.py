"""One point of a search space: the parameter values a trial trains with, as ``best-configuration.yaml`` holds
them.

Example::

    from flair_hpo import Configuration, train

    model = train(Configuration.load("hyperopt/trec6/best-configuration.yaml"), corpus, "retrained/")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.checks import flag, whole_number
from flair_hpo.errors import ConfigError
from flair_hpo.files import portable_paths, resolved_paths
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.dimensions import Choice, Label, configuration_key
from flair_hpo.space.search_space import DOCUMENT_EMBEDDINGS, SEQUENCE_LABELING, TEXT_CLASSIFICATION, SearchSpace
from flair_hpo.space.training_modes import training_mode_of


def configuration_seed(labels: dict[str, Label], replicate: int = 0) -> int:
    """The training seed of a configuration: derived from its values only, so the same configuration trained
    in two studies reproduces; ``replicate`` 1, 2, ... are further seeds of the same configuration."""
    text = configuration_key(labels) + ("" if replicate == 0 else f"#{replicate}")
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


@dataclass
class Configuration:
    """The values of one configuration and the task they train.

    Attributes:
        task: ``"text_classification"`` or ``"sequence_labeling"``.
        label_type: the label type predicted (the tag type for sequence labeling).
        parameters: parameter name (e.g. ``"DocumentRNNEmbeddings.hidden_size"``) to value.
        optimization_value: whether the dev score is maximized or the dev loss minimized.
        seed: the random seed training starts from; a search derives it from the configuration, so
            training the same configuration again reproduces its model.
        training_mode: ``"fine_tune"`` (Flair's ``ModelTrainer.fine_tune``) or ``"train"``.
    """

    task: str
    label_type: str
    parameters: dict[str, Any]
    max_epochs: int
    evaluation_metric: p.EvaluationMetric = p.EvaluationMetric.MICRO_F1_SCORE
    optimization_value: p.OptimizationValue = p.OptimizationValue.DEV_SCORE
    multi_label: bool = False
    seed: int | None = None
    labels: dict[str, Label] = field(default_factory=dict)
    training_mode: str = p.TrainingMode.TRAIN.value

    @classmethod
    def from_labels(
        cls, space: SearchSpace, labels: dict[str, Label], label_type: str, seed: int | None = None
    ) -> Configuration:
        """The configuration the trial-store ``labels`` of ``space`` stand for."""
        values = {}
        for name, label in labels.items():
            dimension = space.dimension(name)
            values[name] = dimension.value_of(label) if isinstance(dimension, Choice) else label
        return cls(
            task=space.task,
            label_type=label_type,
            parameters=values,
            max_epochs=values.get(p.parameter_key(p.ModelTrainer.MAX_EPOCHS), space.max_epochs),
            evaluation_metric=space.evaluation_metric,
            optimization_value=space.optimization_value,
            multi_label=getattr(space, "multi_label", False),
            seed=seed,
            labels=dict(labels),
            training_mode=(space.training_mode or training_mode_of(values)).value,
        )

    def arguments(self, group: type | str) -> dict[str, Any]:
        """The values of one parameter group, by argument name: ``arguments(parameter.ModelTrainer)``."""
        prefix = (group if isinstance(group, str) else group.__name__) + "."
        return {name[len(prefix) :]: value for name, value in self.parameters.items() if name.startswith(prefix)}

    @property
    def document_embeddings(self) -> str | None:
        """The document-embedding class a text classifier uses."""
        return self.parameters.get(DOCUMENT_EMBEDDINGS)

    # ------------------------------------------------------------------------------ files
    def to_dict(self, folder: Path | None = None) -> dict[str, Any]:
        """A plain mapping, as in ``best-configuration.yaml``; files beside ``folder`` written relative to it."""
        return {
            "task": self.task,
            "label_type": self.label_type,
            "multi_label": self.multi_label,
            "evaluation_metric": self.evaluation_metric.value,
            "optimization_value": self.optimization_value.value,
            "max_epochs": self.max_epochs,
            "seed": self.seed,
            "training_mode": self.training_mode,
            "parameters": self.parameters if folder is None else portable_paths(self.parameters, folder),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Configuration:
        """The inverse of :meth:`to_dict`; a mapping that is not a configuration is a :class:`ConfigError`."""
        if not isinstance(data, dict) or not {"task", "label_type", "parameters", "max_epochs"} <= set(data):
            raise ConfigError("not a configuration: it needs task, label_type, parameters and max_epochs")
        if data["task"] not in (TEXT_CLASSIFICATION, SEQUENCE_LABELING) or not isinstance(data["parameters"], dict):
            raise ConfigError(f"not a configuration: task {data['task']!r} or parameters {data['parameters']!r}")
        try:
            return cls(
                task=data["task"],
                label_type=str(data["label_type"]),
                parameters=dict(data["parameters"]),
                max_epochs=whole_number(data["max_epochs"], "max_epochs", ConfigError),
                evaluation_metric=p.EvaluationMetric(data.get("evaluation_metric", "micro_f1_score")),
                optimization_value=p.OptimizationValue(data.get("optimization_value", "dev_score")),
                multi_label=flag(data.get("multi_label", False), "multi_label", ConfigError),
                seed=data.get("seed")
                if data.get("seed") is None
                else whole_number(data["seed"], "seed", ConfigError, 0),
                training_mode=p.TrainingMode(data.get("training_mode", "train")).value,
            )
        except ValueError as error:  # an unknown metric, optimization value or training mode
            raise ConfigError(f"not a configuration: {error}") from None

    @classmethod
    def load(cls, path: str | Path) -> Configuration:
        """Read a YAML configuration; a path in it starting ``./`` or ``../`` is relative to the file's folder."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ConfigError(f"{path}: cannot be read as YAML ({type(error).__name__})") from None
        try:
            configuration = cls.from_dict(data.get("configuration", data) if isinstance(data, dict) else data)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None
        configuration.parameters = resolved_paths(configuration.parameters, path.parent)
        return configuration
