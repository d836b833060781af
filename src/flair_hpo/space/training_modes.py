"""Which training mode a configuration trains in (``ModelTrainer.fine_tune`` or ``train``), and the
problems of a space whose parameters belong to a mode it does not train in."""

from __future__ import annotations

import random
from typing import Any

from flair_hpo.space import parameter_enums as p
from flair_hpo.space.dimensions import Choice, Dimension, Label
from flair_hpo.space.registry import optimizer_class, takes_argument
from flair_hpo.space.structure import count_configurations, grid, sample_configuration

# A space larger than this is judged on a sample of its configurations.
_ENUMERATED = 2000
_SAMPLED = 300

_TRANSFORMERS = ("TransformerWordEmbeddings", "TransformerDocumentEmbeddings")


def training_mode_of(parameters: dict[str, Any]) -> p.TrainingMode:
    """How a configuration trains unless its space says: ``fine_tune`` when one of its embeddings is
    fine-tuned (a transformer, whose ``fine_tune`` is True by default in Flair), ``train`` otherwise."""
    override = parameters.get(p.parameter_key(p.TransformerWordEmbeddings.FINE_TUNE))
    for name, value in parameters.items():
        if name.endswith(".embeddings") and isinstance(value, list):
            for spec in value:
                kind = spec["class"].rpartition(".")[2]
                tuned = override if kind == "TransformerWordEmbeddings" and override is not None else None
                if kind in _TRANSFORMERS and (spec.get("fine_tune", True) if tuned is None else tuned):
                    return p.TrainingMode.FINE_TUNE
    document = parameters.get("document_embeddings") == p.TransformerDocumentEmbeddings.__name__
    if document and parameters.get(p.parameter_key(p.TransformerDocumentEmbeddings.FINE_TUNE), True):
        return p.TrainingMode.FINE_TUNE
    return p.TrainingMode.TRAIN


def training_modes(dimensions: list[Dimension], explicit: p.TrainingMode | None) -> set[p.TrainingMode]:
    """The training modes the configurations of a space train in."""
    if explicit is not None:
        return {explicit}
    size = count_configurations(dimensions)
    if size is not None and size <= _ENUMERATED:
        configurations: Any = grid(dimensions)
    else:
        rng = random.Random(0)
        configurations = (sample_configuration(dimensions, rng) for _ in range(_SAMPLED))
    by_name = {d.name: d for d in dimensions}
    return {training_mode_of(_values(labels, by_name)) for labels in configurations}


def _values(labels: dict[str, Label], by_name: dict[str, Dimension]) -> dict[str, Any]:
    return {
        name: by_name[name].value_of(label) if isinstance(by_name[name], Choice) else label
        for name, label in labels.items()
    }


def mode_problems(parameters: dict[str, Dimension], modes: set[p.TrainingMode]) -> list[str]:
    """``ModelTrainer`` parameters of one training mode in a space that does not train (only) in it, and
    ``Optimizer`` parameters that the optimizers of the space do not take."""
    problems = []
    for member, only in p.MODE_ONLY.items():
        name = p.parameter_key(member)
        if name not in parameters:
            continue
        if only not in modes:
            problems.append(f"{name} never reaches Flair in this space: it applies only to ModelTrainer.{only.value}()")
        elif len(modes) > 1:
            problems.append(
                f"{name} applies only to configurations trained with ModelTrainer.{only.value}(), and this space "
                "trains some with fine_tune() (fine-tuned embeddings) and some with train(): say which with "
                "add_training_mode(...)"
            )
    optimizers = parameters.get(p.parameter_key(p.ModelTrainer.OPTIMIZER))
    chosen = optimizers.values if isinstance(optimizers, Choice) else [p.DEFAULT_OPTIMIZERS[m] for m in modes]
    classes = [optimizer_class(name) for name in chosen]
    names = ", ".join(cls.__name__ for cls in classes)
    for member in p.Optimizer:
        accepted = [takes_argument(cls, member.value) for cls in classes]
        if p.parameter_key(member) in parameters and not any(accepted):
            problems.append(f"{p.parameter_key(member)} is not an argument of any optimizer searched ({names})")
        elif p.parameter_key(member) in parameters and not isinstance(optimizers, Choice) and not all(accepted):
            problems.append(
                f"{p.parameter_key(member)} is not an argument of every optimizer this space trains with ({names}): "
                "choose with ModelTrainer.OPTIMIZER or add_training_mode(...)"
            )
    return problems
