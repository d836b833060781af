"""The search space: what to tune (dimensions) and the steering parameters of the search.

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
import json
import random
from collections.abc import Iterator, Sequence
from enum import Enum
from typing import Any, ClassVar

import optuna

from flair_hpo.errors import SearchSpaceError
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.consistency import applicability_problems, with_applicability
from flair_hpo.space.dimensions import Choice, Dimension, Label, Range, dimension_from_dict, when
from flair_hpo.space.options import choice_dimension, range_dimension
from flair_hpo.space.starts import Starts
from flair_hpo.space.steering import Steering
from flair_hpo.space.structure import count_configurations, grid, parents_first, sample_configuration
from flair_hpo.space.training_modes import mode_problems, training_modes

#: Name of the dimension that chooses a text classifier's document-embedding class.
DOCUMENT_EMBEDDINGS = "document_embeddings"

TEXT_CLASSIFICATION = "text_classification"
SEQUENCE_LABELING = "sequence_labeling"


class SearchSpace(Steering, Starts):
    """What a search explores. Use ``TextClassifierSearchSpace`` or ``SequenceTaggerSearchSpace``."""

    task: ClassVar[str]
    #: Parameter enums this task accepts.
    parameter_groups: ClassVar[tuple[type[Enum], ...]]

    def __init__(self) -> None:
        super().__init__()
        self._parameters: dict[str, Dimension] = {}
        self._starts: list[tuple[dict[Any, Any], bool]] = []  # (values, strict)

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
            low: lower end of a numeric range (an integer range when Flair's argument is an integer).
            log: sample the range on a log scale (for learning rates and the like).
        """
        group = self._check_group(parameter)
        name = p.parameter_key(parameter)
        if name in self._parameters:
            raise SearchSpaceError(f"{name} is already in the search space; add each parameter once")
        condition = when(DOCUMENT_EMBEDDINGS, group.__name__) if group in p.DOCUMENT_EMBEDDINGS else None
        has_range = low is not None or high is not None
        if options is not None and has_range:
            raise SearchSpaceError(f"{name}: give either options=[...] or low/high, not both")
        if options is None and not has_range:
            raise SearchSpaceError(f"{name}: give options=[...] or a range with low= and high=")
        if has_range:
            self._parameters[name] = range_dimension(parameter, name, condition, low, high, log)
        else:
            self._parameters[name] = choice_dimension(parameter, name, condition, options)

    def remove_parameter(self, parameter: Enum) -> None:
        """Stop tuning ``parameter`` (to give a recipe's parameter other options, say)."""
        self._check_group(parameter)
        name = p.parameter_key(parameter)
        if name not in self._parameters:
            raise SearchSpaceError(f"{name} is not in the search space")
        del self._parameters[name]

    def add_word_embeddings(self, parameter: Any = None, options: Sequence[Any] | None = None) -> None:
        """Word-embedding options: each option is one Flair embedding or a list of them (stacked).

        ``add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[...])`` says which
        document embeddings use them; without a parameter, a text-classifier space gives them to every
        word-based document-embedding class that already has parameters.
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

    # ------------------------------------------------------------------- structure for strategies
    @property
    def dimensions(self) -> list[Dimension]:
        """All dimensions, every parent before the dimensions conditional on it."""
        return parents_first(with_applicability(self._own_dimensions()))

    def _own_dimensions(self) -> list[Dimension]:
        """The dimensions as added (a text classifier adds its document-embedding chooser)."""
        return list(self._parameters.values())

    def suggest(self, trial: optuna.Trial) -> dict[str, Label]:
        """Record a configuration in ``trial`` (define-by-run) and return its labels."""
        labels: dict[str, Label] = {}
        for dimension in self.dimensions:
            if dimension.is_active(labels):
                labels[dimension.name] = dimension.suggest(trial)
        return labels

    def complete(self, partial: dict[str, Label], rng: random.Random) -> dict[str, Label]:
        """``partial`` with values drawn for missing active dimensions and inactive ones dropped."""
        return sample_configuration(self.dimensions, rng, partial)

    def sample(self, rng: random.Random) -> dict[str, Label]:
        """A configuration drawn at random, each configuration equally likely."""
        return sample_configuration(self.dimensions, rng)

    def grid(self) -> Iterator[dict[str, Label]]:
        """Every configuration of an all-options space, each conditional branch its own product."""
        return grid(self.dimensions)

    @property
    def size(self) -> int | None:
        """Number of distinct configurations; None when a continuous range makes it unbounded."""
        return count_configurations(self.dimensions)

    def ranges(self) -> list[str]:
        """Names of the dimensions given as ranges."""
        return [d.name for d in self.dimensions if isinstance(d, Range)]

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``."""
        return next(d for d in self.dimensions if d.name == name)

    # --------------------------------------------------------------------------------- checking
    def check(self) -> None:
        """Raise :class:`SearchSpaceError` naming everything missing, before any training starts."""
        problems = self.steering_problems() + self._task_problems() + applicability_problems(self._own_dimensions())
        problems += self._epoch_problems()
        if not problems:
            problems = self._start_problems()
        if not problems:  # the training modes are known once the space is complete
            problems = mode_problems(self._parameters, training_modes(self.dimensions, self.training_mode))
        if problems:
            raise SearchSpaceError("the search space is incomplete:\n  - " + "\n  - ".join(problems))

    def _task_problems(self) -> list[str]:
        return []

    def _epoch_problems(self) -> list[str]:
        tuned = self._parameters.get(p.parameter_key(p.ModelTrainer.MAX_EPOCHS))
        if tuned is None or self.max_epochs is None:
            return []
        most = max(tuned.grid_values()) if isinstance(tuned, Choice) else tuned.high
        if most > self.max_epochs:
            return [f"{tuned.name} goes up to {most}, above max_epochs_per_training_run ({self.max_epochs})"]
        return []

    # ----------------------------------------------------------------------------- serialization
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable description, stored with the study so any process can rebuild it."""
        data = {
            "task": self.task,
            **self._task_settings(),
            **self.steering_to_dict(),
            "dimensions": [d.to_dict() for d in self.dimensions],
            "starts": self.starts,
        }
        return json.loads(json.dumps(data))  # the form it has after a trip through the trial store

    def _task_settings(self) -> dict[str, Any]:
        return {}

    def load_dict(self, data: dict[str, Any]) -> None:
        """Set the steering parameters and dimensions from :meth:`to_dict` output."""
        self.steering_from_dict(data)
        for item in data["dimensions"]:
            if item["name"] != DOCUMENT_EMBEDDINGS:  # derived from the branches' parameters
                dimension = dimension_from_dict(item)
                self._parameters[dimension.name] = dimension
        self._starts = [(dict(start), True) for start in data.get("starts", [])]  # earlier studies have none

    def fingerprint(self) -> str:
        """A hash of everything that defines results (not the budget): equal for the same search."""
        data = self.to_dict()
        data.pop("budget")
        data.pop("starts")  # what is trained first, not what is searched: a study may be resumed with others
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        """The tunable parameters, one per line."""
        return "\n".join(f"  {d.name}: {d.describe()}" for d in self.dimensions)
