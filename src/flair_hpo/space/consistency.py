"""What looks at several parameters of a space together: whether each tuned argument reaches Flair, and in
which configurations (a parameter that does not apply is inactive there, like a branch's parameters)."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import Any

from flair_hpo.space import parameter_enums as p
from flair_hpo.space.dimensions import Choice, Condition, Dimension, when
from flair_hpo.space.registry import takes_argument


def transformer_word_problems(dimensions: list[Dimension]) -> list[str]:
    """``TransformerWordEmbeddings`` parameters in a space whose word embeddings hold no such embedding."""
    tuned = [d.name for d in dimensions if d.name.startswith(f"{p.TransformerWordEmbeddings.__name__}.")]
    if not tuned:
        return []
    options = [
        spec
        for dimension in dimensions
        if dimension.name.endswith(".embeddings") and isinstance(dimension, Choice)
        for option in dimension.values
        for spec in option
    ]
    if not any(spec["class"].endswith("TransformerWordEmbeddings") for spec in options):
        return [f"{', '.join(tuned)} set, but no word-embedding option is a TransformerWordEmbeddings"]
    return []


#: Arguments that Flair uses only when another argument of the same class has one of some values; the
#: third item is Flair's default of that other argument (what applies when it is not tuned).
_DEPENDS_ON: dict[Enum, tuple[Enum, tuple[Any, ...], Any]] = {
    **{
        member: (p.SequenceTagger.USE_RNN, (True,), True)
        for member in (
            p.SequenceTagger.HIDDEN_SIZE,
            p.SequenceTagger.RNN_LAYERS,
            p.SequenceTagger.RNN_TYPE,
            p.SequenceTagger.BIDIRECTIONAL,
            p.SequenceTagger.TRAIN_INITIAL_HIDDEN_STATE,
        )
    },
    p.DocumentRNNEmbeddings.REPROJECT_WORDS_DIMENSION: (p.DocumentRNNEmbeddings.REPROJECT_WORDS, (True,), True),
    p.DocumentCNNEmbeddings.REPROJECT_WORDS_DIMENSION: (p.DocumentCNNEmbeddings.REPROJECT_WORDS, (True,), True),
}


def _applies_when(dimension: Dimension, by_name: dict[str, Dimension]) -> Condition | bool:
    """The condition under which ``dimension``'s argument reaches Flair: a condition on the dimension that
    decides, True when it always does (keep the dimension's own condition), False when it never does."""
    group, _, argument = dimension.name.partition(".")
    member = next((m for m in p.PARAMETER_GROUPS.get(group, ()) if m.value == argument), None)
    if member in _DEPENDS_ON:
        decider, values, default = _DEPENDS_ON[member]
        decides = by_name.get(p.parameter_key(decider))
        if not isinstance(decides, Choice):
            return default in values
        labels = tuple(label for label in decides.labels if label in values)
        return True if len(labels) == len(decides.labels) else (when(decides.name, *labels) if labels else False)
    if isinstance(member, p.Optimizer):
        chooser = by_name.get(p.parameter_key(p.ModelTrainer.OPTIMIZER))
        if not isinstance(chooser, Choice):
            return True  # SGD; optimizer_problems reports an argument SGD does not take
        labels = tuple(
            label
            for label, value in zip(chooser.labels, chooser.values, strict=True)
            if takes_argument(value, member.value)
        )
        return True if len(labels) == len(chooser.labels) else (when(chooser.name, *labels) if labels else False)
    if isinstance(member, p.TransformerWordEmbeddings):
        holders = [d for d in by_name.values() if d.name.endswith(".embeddings") and isinstance(d, Choice)]
        condition = tuple(
            (d.name, tuple(label for label, specs in zip(d.labels, d.values, strict=True) if _has_transformer(specs)))
            for d in holders
        )
        condition = tuple((parent, labels) for parent, labels in condition if labels)
        everywhere = len(holders) == 1 and holders[0].condition is None and len(condition[0][1]) == holders[0].size
        return True if everywhere else (condition or False)
    return True


def _has_transformer(specs: list[dict[str, Any]]) -> bool:
    return any(spec["class"].rpartition(".")[2] == "TransformerWordEmbeddings" for spec in specs)


def with_applicability(dimensions: list[Dimension]) -> list[Dimension]:
    """``dimensions`` each made conditional on the dimension that decides whether Flair uses it."""
    by_name = {d.name: d for d in dimensions}
    result = []
    for dimension in dimensions:
        applies = _applies_when(dimension, by_name)
        result.append(dimension if applies is True or applies is False else replace(dimension, condition=applies))
    return result


def applicability_problems(dimensions: list[Dimension]) -> list[str]:
    """Parameters that apply to no configuration of the space, each with the reason."""
    by_name = {d.name: d for d in dimensions}
    return [
        f"{d.name} never reaches Flair in this space (it applies only with {_requirement(d.name)})"
        for d in dimensions
        if _applies_when(d, by_name) is False
    ]


def _requirement(name: str) -> str:
    group, _, argument = name.partition(".")
    member = next(m for m in p.PARAMETER_GROUPS[group] if m.value == argument)
    if member in _DEPENDS_ON:
        decider, values, _ = _DEPENDS_ON[member]
        return f"{p.parameter_key(decider)} in {list(values)}"
    if isinstance(member, p.Optimizer):
        return "an optimizer that takes it"
    return "a TransformerWordEmbeddings among the word embeddings"
