"""Task-specific search spaces: what to tune, and the steering parameters of the search.

A search space holds

* the mandatory steering parameters: a budget, an evaluation metric, an optimization value and the
  maximum number of epochs per training run;
* the tunable parameters, each a list of options or a numeric range (:mod:`flair_hpo.dimensions`).

For text classification the document-embedding class is itself a choice: adding a
``DocumentRNNEmbeddings`` parameter makes DocumentRNNEmbeddings one of the classes searched, and its
parameters apply only to configurations that use it.

Example::

    from flair.embeddings import WordEmbeddings
    from flair_hpo import search_spaces
    import flair_hpo.parameters as parameter

    search_space = search_spaces.TextClassifierSearchSpace()
    search_space.add_budget(parameter.Budget.RUNS, 20)
    search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    search_space.add_max_epochs_per_training_run(10)

    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=1e-3, high=0.2, log=True)
    search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[128, 256])
    search_space.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings("glove")]]
    )
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import random
from collections.abc import Iterator, Sequence
from enum import Enum
from typing import Any, ClassVar

import optuna

from flair_hpo import parameters as p
from flair_hpo.argument_checks import check_option, check_range, resolve
from flair_hpo.dimensions import Choice, Dimension, Label, Range, dimension_from_dict
from flair_hpo.embedding_specs import EmbeddingSpecError, option_from, option_label, short_name
from flair_hpo.errors import InputError

#: Name of the dimension that chooses a text classifier's document-embedding class.
DOCUMENT_EMBEDDINGS = "document_embeddings"

TEXT_CLASSIFICATION = "text_classification"
SEQUENCE_LABELING = "sequence_labeling"


class SearchSpaceError(InputError):
    """A search space that cannot be searched; the message says what to change."""


def configuration_key(labels: dict[str, Label]) -> str:
    """A canonical string for a configuration, equal for equal configurations."""
    return json.dumps(labels, sort_keys=True)


def _plain_option(member: Enum, option: Any) -> tuple[Label, Any]:
    """The (label, JSON value) pair an option is stored as."""
    if p.is_word_embeddings(member):
        specs = option_from(option)
        return option_label(specs), specs
    if member is p.ModelTrainer.OPTIMIZER:
        return _optimizer_option(option)
    if isinstance(option, tuple | list):
        plain = json.loads(json.dumps(option))
        return str(tuple(tuple(x) if isinstance(x, list) else x for x in plain)), plain
    if isinstance(option, str) and os.sep in option:  # a model folder: named by its last parts
        return short_name(option), option
    if option is None or isinstance(option, str | int | float | bool):
        if isinstance(option, float) and not math.isfinite(option):
            raise SearchSpaceError(f"{p.parameter_key(member)}: option {option} is not a finite number")
        return option, option
    raise SearchSpaceError(
        f"{p.parameter_key(member)}: option {option!r} of type {type(option).__name__} cannot be stored; "
        "options are numbers, strings, booleans, lists of those, or (for embeddings) Flair embeddings"
    )


def _optimizer_option(option: Any) -> tuple[Label, str]:
    import torch

    if isinstance(option, str):
        name = option.rpartition(".")[2]
        cls = getattr(torch.optim, name, None)
    else:
        cls, name = option, getattr(option, "__name__", repr(option))
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise SearchSpaceError(
            f"ModelTrainer.optimizer: {option!r} is not a torch optimizer; give a class such as "
            "torch.optim.SGD or its name, e.g. 'AdamW'"
        )
    return name, f"{cls.__module__}.{cls.__qualname__}"


class SearchSpace:
    """What a search explores. Use :class:`TextClassifierSearchSpace` or :class:`SequenceTaggerSearchSpace`."""

    task: ClassVar[str]
    #: Parameter enums this task accepts.
    parameter_groups: ClassVar[tuple[type[Enum], ...]]

    def __init__(self) -> None:
        self.budget: tuple[p.Budget, float] | None = None
        self.evaluation_metric: p.EvaluationMetric | None = None
        self.optimization_value: p.OptimizationValue | None = None
        self.max_epochs: int | None = None
        self._parameters: dict[str, Dimension] = {}

    # ----------------------------------------------------------------- the tutorial's steering API
    def add_budget(self, budget: p.Budget, amount: float) -> None:
        """How much to search: hours (``TIME_IN_H``), trials (``RUNS``) or ``GENERATIONS``."""
        if not isinstance(budget, p.Budget):
            raise SearchSpaceError(f"add_budget takes a parameter.Budget member (e.g. Budget.RUNS), not {budget!r}")
        integral = budget is not p.Budget.TIME_IN_H
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or (integral and not isinstance(amount, int))
        ):
            kind = "a number of hours" if not integral else f"a whole number of {budget.value}"
            raise SearchSpaceError(f"the {budget.name} budget must be {kind}, not {amount!r}")
        if not amount > 0 or not math.isfinite(amount):
            raise SearchSpaceError(f"the {budget.name} budget must be positive, not {amount!r}")
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
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise SearchSpaceError(f"max epochs per training run must be a positive integer, not {max_epochs!r}")
        self.max_epochs = max_epochs

    # ----------------------------------------------------------------------- tunable parameters
    def add_parameter(
        self,
        parameter: Enum,
        options: Sequence[Any] | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        log: bool = False,
    ) -> None:
        """Tune ``parameter`` over a list of ``options``, or over the range ``low`` .. ``high``.

        Args:
            parameter: a member of a parameter enum, e.g. ``parameter.ModelTrainer.LEARNING_RATE``.
            options: the values to try.
            low: lower end of a numeric range (integer bounds make an integer range).
            high: upper end of a numeric range.
            log: sample the range on a log scale (for learning rates and the like).
        """
        group = self._check_group(parameter)
        name = p.parameter_key(parameter)
        if name in self._parameters:
            raise SearchSpaceError(f"{name} is already in the search space; add each parameter once")
        condition = (DOCUMENT_EMBEDDINGS, group.__name__) if group in p.DOCUMENT_EMBEDDINGS else None
        has_range = low is not None or high is not None
        if options is not None and has_range:
            raise SearchSpaceError(f"{name}: give either options=[...] or low/high, not both")
        if options is None and not has_range:
            raise SearchSpaceError(f"{name}: give options=[...] or a range with low= and high=")
        if has_range:
            self._parameters[name] = self._range(parameter, name, condition, low, high, log)
        else:
            self._parameters[name] = self._choice(parameter, name, condition, options)

    def add_word_embeddings(self, parameter: Any = None, options: Sequence[Any] | None = None) -> None:
        """Word-embedding options: each option is one Flair embedding or a list of them (stacked).

        Two forms, as in the tutorial: ``add_word_embeddings(options=[...])``, and
        ``add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[...])`` to say which
        document embeddings use them. In a text-classifier space the first form gives the options to every
        word-based document-embedding class (RNN, Pool, CNN) that already has parameters.
        """
        if options is None and not isinstance(parameter, Enum):  # add_word_embeddings([[...], ...])
            parameter, options = None, parameter
        members = self._default_word_embeddings_parameters() if parameter is None else [parameter]
        for member in members:
            if not isinstance(member, Enum) or not p.is_word_embeddings(member):
                raise SearchSpaceError(
                    f"add_word_embeddings takes a WORD_EMBEDDINGS member (e.g. parameter.DocumentRNNEmbeddings."
                    f"WORD_EMBEDDINGS) and options, not {member!r}"
                )
            if options is None:
                raise SearchSpaceError(f"{p.parameter_key(member)}: give options=[[embedding, ...], ...]")
            self.add_parameter(member, options=options)

    def _default_word_embeddings_parameters(self) -> list[Enum]:
        raise NotImplementedError

    def _check_group(self, parameter: Any) -> type[Enum]:
        group = type(parameter)
        if not isinstance(parameter, Enum) or group not in p.FLAIR_TARGETS:
            raise SearchSpaceError(
                f"{parameter!r} is not a tunable parameter; use a member of flair_hpo.parameters such as "
                "parameter.ModelTrainer.LEARNING_RATE"
            )
        if group not in self.parameter_groups:
            allowed = ", ".join(g.__name__ for g in self.parameter_groups)
            raise SearchSpaceError(
                f"parameter.{group.__name__}.{parameter.name} does not belong to {self.task.replace('_', ' ')}; "
                f"a {type(self).__name__} takes parameters of {allowed}"
            )
        return group

    def _choice(self, member: Enum, name: str, condition: Any, options: Any) -> Choice:
        if isinstance(options, str | bytes) or not isinstance(options, Sequence):
            raise SearchSpaceError(f"{name}: options must be a list, e.g. options=[{options!r}]")
        if len(options) == 0:
            raise SearchSpaceError(f"{name}: options is empty; give at least one value")
        labels, values = [], []
        for option in options:
            try:
                label, value = _plain_option(member, option)
            except EmbeddingSpecError as error:
                raise SearchSpaceError(f"{name}: {error}") from None
            if not p.is_word_embeddings(member) and member is not p.ModelTrainer.OPTIMIZER:
                problem = check_option(member, option)
                if problem:
                    raise SearchSpaceError(f"{name} {problem}")
            if value in values:
                raise SearchSpaceError(f"{name}: option {label!r} is given twice")
            if label in labels:  # two different embeddings with the same generated name
                label = f"{label} #{len(labels) + 1}"
            labels.append(label)
            values.append(value)
        return Choice(name=name, condition=condition, labels=tuple(labels), values=tuple(values))

    def _range(self, member: Enum, name: str, condition: Any, low: Any, high: Any, log: bool) -> Range:
        if p.is_word_embeddings(member) or member is p.ModelTrainer.OPTIMIZER:
            raise SearchSpaceError(f"{name} takes options=[...], not a range")
        for bound, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise SearchSpaceError(f"{name}: {bound} must be a finite number, not {value!r}")
        if not low < high:
            raise SearchSpaceError(f"{name}: low ({low}) must be below high ({high})")
        if log and low <= 0:
            raise SearchSpaceError(f"{name}: a log range needs low > 0, not {low}")
        problem = check_range(member, low, high)
        if problem:
            raise SearchSpaceError(f"{name} {problem}")
        integer = isinstance(low, int) and isinstance(high, int)
        return Range(name=name, condition=condition, low=low, high=high, log=bool(log), integer=integer)

    # ------------------------------------------------------------------- structure for strategies
    @property
    def dimensions(self) -> list[Dimension]:
        """All dimensions, every parent before the dimensions conditional on it."""
        return list(self._parameters.values())

    @property
    def direction(self) -> str:
        """``"maximize"`` for dev scores, ``"minimize"`` for the dev loss."""
        return "minimize" if self.optimization_value is p.OptimizationValue.DEV_LOSS else "maximize"

    def suggest(self, trial: optuna.Trial) -> dict[str, Label]:
        """Record a configuration in ``trial`` (define-by-run) and return its labels."""
        labels: dict[str, Label] = {}
        for dimension in self.dimensions:
            if dimension.is_active(labels):
                labels[dimension.name] = dimension.suggest(trial)
        return labels

    def complete(self, partial: dict[str, Label], rng: random.Random) -> dict[str, Label]:
        """``partial`` with values sampled for missing active dimensions and inactive ones dropped."""
        labels: dict[str, Label] = {}
        for dimension in self.dimensions:
            if dimension.is_active(labels):
                labels[dimension.name] = partial[dimension.name] if dimension.name in partial else dimension.sample(rng)
        return labels

    def sample(self, rng: random.Random) -> dict[str, Label]:
        """A configuration drawn at random."""
        return self.complete({}, rng)

    def grid(self) -> Iterator[dict[str, Label]]:
        """Every configuration of an all-options space, each conditional branch its own product."""
        dimensions = self.dimensions

        def expand(index: int, labels: dict[str, Label]) -> Iterator[dict[str, Label]]:
            if index == len(dimensions):
                yield dict(labels)
                return
            dimension = dimensions[index]
            if not dimension.is_active(labels):
                yield from expand(index + 1, labels)
                return
            for value in dimension.grid_values():
                labels[dimension.name] = value
                yield from expand(index + 1, labels)
            del labels[dimension.name]

        return expand(0, {})

    @property
    def size(self) -> int | None:
        """Number of distinct configurations; None when a continuous range makes it unbounded."""
        sizes = [d.size for d in self.dimensions]
        if any(size is None for size in sizes):
            return None
        unconditional = [d for d in self.dimensions if d.condition is None]
        total = 1
        for dimension in unconditional:
            branches = [d for d in self.dimensions if d.condition and d.condition[0] == dimension.name]
            if not branches:
                total *= dimension.size
                continue
            total *= sum(
                math.prod(d.size for d in branches if d.condition[1] == label) for label in dimension.grid_values()
            )
        return total

    def ranges(self) -> list[str]:
        """Names of the dimensions given as ranges."""
        return [d.name for d in self.dimensions if isinstance(d, Range)]

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``."""
        return next(d for d in self.dimensions if d.name == name)

    # --------------------------------------------------------------------------------- checking
    def check(self) -> None:
        """Raise :class:`SearchSpaceError` naming everything missing, before any training starts."""
        problems = []
        if self.budget is None:
            problems.append("no budget: call add_budget(parameter.Budget.RUNS, 20) or similar")
        if self.evaluation_metric is None:
            problems.append("no evaluation metric: call add_evaluation_metric(parameter.EvaluationMetric...)")
        if self.optimization_value is None:
            problems.append("no optimization value: call add_optimization_value(parameter.OptimizationValue...)")
        if self.max_epochs is None:
            problems.append("no epoch limit: call add_max_epochs_per_training_run(n)")
        problems += self._task_problems()
        problems += self._optimizer_problems()
        if problems:
            raise SearchSpaceError("the search space is incomplete:\n  - " + "\n  - ".join(problems))

    def _task_problems(self) -> list[str]:
        return []

    def _optimizer_problems(self) -> list[str]:
        optimizers = self._parameters.get(p.parameter_key(p.ModelTrainer.OPTIMIZER))
        classes = (
            [resolve(v) for v in optimizers.values] if isinstance(optimizers, Choice) else [resolve("torch.optim.SGD")]
        )
        names = ", ".join(cls.__name__ for cls in classes)
        return [
            f"{p.parameter_key(member)} is not an argument of any optimizer searched ({names})"
            for member in p.Optimizer
            if p.parameter_key(member) in self._parameters
            and not any(member.value in inspect.signature(cls.__init__).parameters for cls in classes)
        ]

    def _transformer_word_problems(self) -> list[str]:
        tuned = [n for n in self._parameters if n.startswith(f"{p.TransformerWordEmbeddings.__name__}.")]
        if not tuned:
            return []
        options = [
            spec
            for dimension in self.dimensions
            if dimension.name.endswith(".embeddings") and isinstance(dimension, Choice)
            for option in dimension.values
            for spec in option
        ]
        if not any(spec["class"].endswith("TransformerWordEmbeddings") for spec in options):
            return [f"{', '.join(tuned)} set, but no word-embedding option is a TransformerWordEmbeddings"]
        return []

    # ----------------------------------------------------------------------------- serialization
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable description, stored with the study so any process can rebuild it."""
        data = {
            "task": self.task,
            **self._task_settings(),
            "budget": None if self.budget is None else {"kind": self.budget[0].value, "amount": self.budget[1]},
            "evaluation_metric": self.evaluation_metric and self.evaluation_metric.value,
            "optimization_value": self.optimization_value and self.optimization_value.value,
            "max_epochs": self.max_epochs,
            "dimensions": [d.to_dict() for d in self.dimensions],
        }
        return json.loads(json.dumps(data))  # the form it has after a trip through the trial store

    def _task_settings(self) -> dict[str, Any]:
        return {}

    def fingerprint(self) -> str:
        """A hash of everything that defines results (not the budget): equal for the same search."""
        data = self.to_dict()
        data.pop("budget")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SearchSpace:
        """Rebuild a search space from :meth:`to_dict` output."""
        space: SearchSpace
        if data["task"] == TEXT_CLASSIFICATION:
            space = TextClassifierSearchSpace(multi_label=data.get("multi_label", False))
            space.label_type = data.get("label_type")
        else:
            space = SequenceTaggerSearchSpace()
            space.tag_type = data.get("tag_type")
        if data.get("budget"):
            space.budget = (p.Budget(data["budget"]["kind"]), data["budget"]["amount"])
        if data.get("evaluation_metric"):
            space.evaluation_metric = p.EvaluationMetric(data["evaluation_metric"])
        if data.get("optimization_value"):
            space.optimization_value = p.OptimizationValue(data["optimization_value"])
        space.max_epochs = data.get("max_epochs")
        for item in data["dimensions"]:
            if item["name"] != DOCUMENT_EMBEDDINGS:  # derived from the branches' parameters
                dimension = dimension_from_dict(item)
                space._parameters[dimension.name] = dimension
        return space

    def describe(self) -> str:
        """The tunable parameters, one per line."""
        return "\n".join(f"  {d.name}: {d.describe()}" for d in self.dimensions)


class TextClassifierSearchSpace(SearchSpace):
    """Search space for :class:`flair.models.TextClassifier`.

    Args:
        multi_label: whether a sentence may carry several labels.
    """

    task = TEXT_CLASSIFICATION
    parameter_groups = (
        p.ModelTrainer,
        p.Optimizer,
        p.TextClassifier,
        *p.DOCUMENT_EMBEDDINGS,
        p.TransformerWordEmbeddings,
    )

    def __init__(self, multi_label: bool = False) -> None:
        super().__init__()
        if not isinstance(multi_label, bool):
            raise SearchSpaceError(f"multi_label must be True or False, not {multi_label!r}")
        self.multi_label = multi_label
        self.label_type: str | None = None

    def add_label_type(self, label_type: str) -> None:
        """The label type to predict; only needed when the corpus has more than one."""
        if not isinstance(label_type, str) or not label_type:
            raise SearchSpaceError(f"the label type must be a non-empty string, not {label_type!r}")
        self.label_type = label_type

    def _default_word_embeddings_parameters(self) -> list[Enum]:
        groups = [p.PARAMETER_GROUPS[branch] for branch in self._branches()]
        members = [group.WORD_EMBEDDINGS for group in groups if group in p.WORD_BASED_DOCUMENT_EMBEDDINGS]
        if not members:
            raise SearchSpaceError(
                "a text classifier needs to know which document embeddings use the word embeddings: "
                "add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[...]) "
                "(or DocumentPoolEmbeddings / DocumentCNNEmbeddings)"
            )
        return members

    def _branches(self) -> list[str]:
        """Document-embedding classes with parameters, in the order they were first added."""
        branches: list[str] = []
        for dimension in self._parameters.values():
            if dimension.condition and dimension.condition[1] not in branches:
                branches.append(dimension.condition[1])
        return branches

    @property
    def dimensions(self) -> list[Dimension]:
        branches = self._branches()
        if not branches:
            return super().dimensions
        chooser = Choice(name=DOCUMENT_EMBEDDINGS, labels=tuple(branches), values=tuple(branches))
        return [chooser, *super().dimensions]

    def _task_problems(self) -> list[str]:
        branches = self._branches()
        if not branches:
            return [
                "no document embeddings: add parameters of DocumentRNNEmbeddings, DocumentPoolEmbeddings, "
                "DocumentCNNEmbeddings or TransformerDocumentEmbeddings (e.g. add_word_embeddings("
                "parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[...]))"
            ]
        problems = []
        for branch in branches:
            group = p.PARAMETER_GROUPS[branch]
            if group in p.WORD_BASED_DOCUMENT_EMBEDDINGS and f"{branch}.embeddings" not in self._parameters:
                problems.append(
                    f"{branch} has no word embeddings: add_word_embeddings(parameter.{branch}.WORD_EMBEDDINGS, "
                    "options=[...])"
                )
            if group is p.TransformerDocumentEmbeddings and f"{branch}.model" not in self._parameters:
                problems.append(
                    "TransformerDocumentEmbeddings needs models to try: add_parameter("
                    "parameter.TransformerDocumentEmbeddings.MODEL, options=['bert-base-uncased', ...])"
                )
        return problems + self._transformer_word_problems()

    def _task_settings(self) -> dict[str, Any]:
        return {"multi_label": self.multi_label, "label_type": self.label_type}


class SequenceTaggerSearchSpace(SearchSpace):
    """Search space for :class:`flair.models.SequenceTagger`; call :meth:`add_tag_type`."""

    task = SEQUENCE_LABELING
    parameter_groups = (p.ModelTrainer, p.Optimizer, p.SequenceTagger, p.TransformerWordEmbeddings)

    def __init__(self) -> None:
        super().__init__()
        self.tag_type: str | None = None

    def add_tag_type(self, tag_type: str) -> None:
        """The label type to tag, e.g. ``"ner"`` or ``"pos"``."""
        if not isinstance(tag_type, str) or not tag_type:
            raise SearchSpaceError(f"the tag type must be a non-empty string such as 'ner', not {tag_type!r}")
        self.tag_type = tag_type

    def _default_word_embeddings_parameters(self) -> list[Enum]:
        return [p.SequenceTagger.WORD_EMBEDDINGS]

    def _task_problems(self) -> list[str]:
        problems = []
        if self.tag_type is None:
            problems.append("no tag type: call add_tag_type('ner') (or the label type your corpus has)")
        if p.parameter_key(p.SequenceTagger.WORD_EMBEDDINGS) not in self._parameters:
            problems.append("no word embeddings: call add_word_embeddings(options=[[embedding, ...], ...])")
        return problems + self._transformer_word_problems()

    def _task_settings(self) -> dict[str, Any]:
        return {"tag_type": self.tag_type}
