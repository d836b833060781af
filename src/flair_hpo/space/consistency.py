"""Checks that look at several parameters of a space together: each tuned argument reaches some class the
space trains with."""

from __future__ import annotations

import inspect

from flair_hpo.space import parameters as p
from flair_hpo.space.argument_checks import resolve
from flair_hpo.space.dimensions import Choice, Dimension


def optimizer_problems(parameters: dict[str, Dimension]) -> list[str]:
    """``Optimizer`` parameters that no optimizer of the space takes (SGD, unless ``OPTIMIZER`` is tuned)."""
    optimizers = parameters.get(p.parameter_key(p.ModelTrainer.OPTIMIZER))
    classes = (
        [resolve(v) for v in optimizers.values] if isinstance(optimizers, Choice) else [resolve("torch.optim.SGD")]
    )
    names = ", ".join(cls.__name__ for cls in classes)
    return [
        f"{p.parameter_key(member)} is not an argument of any optimizer searched ({names})"
        for member in p.Optimizer
        if p.parameter_key(member) in parameters
        and not any(member.value in inspect.signature(cls.__init__).parameters for cls in classes)
    ]


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
