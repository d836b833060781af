"""The search space of a YAML run configuration: its task and steering keys, its ``parameters``, or a
``recipe`` (see :mod:`flair_hpo.space.recipes`) that those keys override.

::

    recipe: ner-fine-tune                # or {name: ner-fine-tune, model: xlm-roberta-large}
    budget: {time_in_h: 12}              # overrides the recipe's
    parameters:
      ModelTrainer.mini_batch_size: [4]  # replaces the recipe's options
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from flair_hpo.errors import ConfigError, Mistakes, did_you_mean
from flair_hpo.space import (
    SEQUENCE_LABELING,
    TEXT_CLASSIFICATION,
    SearchSpace,
    SequenceTaggerSearchSpace,
    TextClassifierSearchSpace,
)
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.recipes import RECIPES, recipe, recipe_task

#: Keys a recipe stands for, which are required without one (the task is told by a corpus folder's files).
REQUIRED_KEYS = ("task", "budget", "parameters")
#: The epochs of a trial at most; ``max_epochs`` as in best-configuration.yaml.
EPOCH_KEYS = ("max_epochs_per_training_run", "max_epochs")
_OPTIMIZE = "optimization_value"
#: What a search selects by when the file does not say: micro-F1 on dev, the score Flair reports.
DEFAULTS = {"evaluation_metric": "micro_f1_score", "optimization_value": "dev_score"}


def _enum(kind: type[Enum], value: Any, key: str) -> Enum:
    for member in kind:
        if str(value).lower() in (member.value.lower(), member.name.lower()):
            return member
    options = ", ".join(m.value for m in kind)
    raise ConfigError(
        f"{key}: {value!r} is not one of {options}{did_you_mean(str(value).lower(), [m.value for m in kind])}"
    )


def parameter_member(key: str) -> Enum:
    """The parameter a YAML key names: ``Group.member``, the member by name or argument, any case."""
    group_name, _, member_name = key.partition(".")
    group = p.PARAMETER_GROUPS.get(group_name)
    if group is None or not member_name:
        raise ConfigError(
            f"parameters: '{key}' is not a parameter; write Group.member, e.g. ModelTrainer.learning_rate "
            f"(groups: {', '.join(p.PARAMETER_GROUPS)}){did_you_mean(group_name, p.PARAMETER_GROUPS)}"
        )
    wanted = member_name.lower()
    if wanted == "word_embeddings":
        wanted = "embeddings"
    for member in group:
        if wanted in (member.name.lower(), member.value.lower()):
            return member
    names = [m.value for m in group]
    raise ConfigError(
        f"parameters: {group_name} has no parameter '{member_name}' (it has {', '.join(names)})"
        f"{did_you_mean(wanted, names)}"
    )


def _add_parameter(space: SearchSpace, key: str, value: Any) -> None:
    member = parameter_member(key)
    if p.parameter_key(member) in {d.name for d in space.dimensions}:  # a recipe's, replaced
        space.remove_parameter(member)
    if isinstance(value, Mapping):
        unknown = set(value) - {"low", "high", "log"}
        if unknown or not {"low", "high"} <= set(value):
            raise ConfigError(f"parameters: {key}: a range is {{low: ..., high: ..., log: true/false}}, got {value}")
        space.add_parameter(member, low=value["low"], high=value["high"], log=bool(value.get("log", False)))
        return
    if p.is_word_embeddings(member):
        if not isinstance(value, list):
            raise ConfigError(f"parameters: {key}: give a list of options, each a list of embedding specifications")
        space.add_word_embeddings(member, options=value)
        return
    space.add_parameter(member, options=value if isinstance(value, list) else [value])


def _budget(space: SearchSpace, value: Any) -> None:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ConfigError(
            f"budget: give exactly one of {{runs: N}}, {{generations: N}}, {{time_in_h: H}}, not {value!r}"
        )
    (kind, amount) = next(iter(value.items()))
    space.add_budget(_enum(p.Budget, kind, "budget"), amount)


def build_space(data: Mapping[str, Any], mistakes: Mistakes) -> SearchSpace | None:
    """The search space the keys of ``data`` describe, on a recipe's when it names one; its mistakes go to
    ``mistakes`` (and None comes back when there is no space to build on)."""
    space = None
    with mistakes.check():
        space = _recipe_space(data) if data.get("recipe") is not None else _task_space(data)
    if space is None:
        return None
    epochs = _epochs(data, mistakes)
    steering = (
        ("budget", lambda value: _budget(space, value)),
        ("evaluation_metric", lambda v: space.add_evaluation_metric(_enum(p.EvaluationMetric, v, "evaluation_metric"))),
        ("optimization_value", lambda v: space.add_optimization_value(_enum(p.OptimizationValue, v, _OPTIMIZE))),
        ("training_mode", lambda value: space.add_training_mode(str(value))),
    )
    for key, add in steering:
        if key in data:
            with mistakes.check():
                add(data[key])
    if epochs is not None:
        with mistakes.check():
            space.add_max_epochs_per_training_run(epochs)
            if data.get("recipe") is not None:
                _fit_tuned_epochs(space, epochs)
    parameters = data.get("parameters", {})
    if not isinstance(parameters, Mapping) or ("recipe" not in data and not parameters):
        mistakes.found.append("parameters: give a mapping of parameter names to options or ranges")
        return space
    for key, value in parameters.items():
        with mistakes.check():
            _add_parameter(space, str(key), value)
    starts = data.get("start") or []
    for start in [starts] if isinstance(starts, Mapping) else starts:
        with mistakes.check():
            if not isinstance(start, Mapping):
                raise ConfigError(f"start: give a mapping of parameter names to values (or a list), not {start!r}")
            space.add_start({parameter_member(str(key)): value for key, value in start.items()})
    return space


def check_names(data: Mapping[str, Any], mistakes: Mistakes) -> None:
    """The mistakes of ``data`` that need no Flair (:func:`build_space` checks options against Flair's
    classes): missing keys, the recipe's name, the names of parameters, metrics and budgets."""
    if data.get("recipe") is None:
        mistakes.found += _missing(data)
    else:
        with mistakes.check():
            recipe_task(_recipe_settings(data["recipe"])["name"])
    for key, kind in (("evaluation_metric", p.EvaluationMetric), (_OPTIMIZE, p.OptimizationValue)):
        if key in data:
            with mistakes.check():
                _enum(kind, data[key], key)
    budget = data.get("budget")
    if isinstance(budget, Mapping) and len(budget) == 1:
        with mistakes.check():
            _enum(p.Budget, next(iter(budget)), "budget")
    parameters = data.get("parameters")
    starts = data.get("start") or []
    named = list(parameters) if isinstance(parameters, Mapping) else []
    for start in [starts] if isinstance(starts, Mapping) else starts:
        named += list(start) if isinstance(start, Mapping) else []
    for key in dict.fromkeys(named):
        with mistakes.check():
            parameter_member(str(key))


def _epochs(data: Mapping[str, Any], mistakes: Mistakes) -> Any:
    """``max_epochs_per_training_run``, or ``max_epochs`` as best-configuration.yaml names it."""
    given = [key for key in EPOCH_KEYS if key in data]
    if len(given) > 1:
        mistakes.found.append("give max_epochs or max_epochs_per_training_run, not both")
    return data[given[0]] if given else None


def _fit_tuned_epochs(space: SearchSpace, epochs: int) -> None:
    """A recipe's tuned epochs kept up to the epochs a run allows (none left: every trial trains ``epochs``)."""
    tuned = {d.name: d for d in space.dimensions}.get(p.parameter_key(p.ModelTrainer.MAX_EPOCHS))
    if tuned is None:
        return
    values = tuned.grid_values()
    kept = [value for value in values if value <= epochs]
    if kept != values:
        space.remove_parameter(p.ModelTrainer.MAX_EPOCHS)
        if len(kept) > 1:
            space.add_parameter(p.ModelTrainer.MAX_EPOCHS, options=kept)


def _missing(data: Mapping[str, Any]) -> list[str]:
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if not any(key in data for key in EPOCH_KEYS):
        missing.append("max_epochs")
    return [f"missing key '{key}' (or give a recipe: {', '.join(RECIPES)})" for key in missing]


def _task_space(data: Mapping[str, Any]) -> SearchSpace | None:
    if "task" not in data:  # reported as missing
        return None
    task = str(data["task"]).lower()
    space: SearchSpace
    if task == TEXT_CLASSIFICATION:
        space = TextClassifierSearchSpace(multi_label=data.get("multi_label", False))
        if data.get("label_type"):
            space.add_label_type(data["label_type"])
    elif task == SEQUENCE_LABELING:
        space = SequenceTaggerSearchSpace()
        if "tag_type" not in data:
            raise ConfigError("missing key 'tag_type': the label type to tag, e.g. ner")
        space.add_tag_type(data["tag_type"])
    else:
        raise ConfigError(f"task: {data['task']!r} is not {TEXT_CLASSIFICATION} or {SEQUENCE_LABELING}")
    return space


def _recipe_settings(given: Any) -> Mapping[str, Any]:
    """``recipe:`` as ``{name: ..., model: ...}``."""
    settings = {"name": given} if isinstance(given, str) else given
    if not isinstance(settings, Mapping) or not set(settings) <= {"name", "model"} or "name" not in settings:
        raise ConfigError(f"recipe: give a name ({', '.join(RECIPES)}) or {{name: ..., model: ...}}, not {given!r}")
    return settings


def _recipe_space(data: Mapping[str, Any]) -> SearchSpace:
    settings = _recipe_settings(data["recipe"])
    space = recipe(str(settings["name"]), settings.get("model"), data.get("tag_type"))
    if "task" in data and str(data["task"]).lower() != space.task:
        raise ConfigError(f"task: the recipe {settings['name']} is {space.task}, not {data['task']}")
    if data.get("label_type") and isinstance(space, TextClassifierSearchSpace):
        space.add_label_type(data["label_type"])
    return space
