"""The few private (or undocumented) parts of Flair flair-hpo uses, in one place (as
:mod:`flair_hpo.optuna_internals` is for Optuna); ``pyproject.toml`` pins Flair to the minor version they were
tested with. Nothing else touches a private name of another library (``tests/test_architecture.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flair.trainers.plugins.base import TrainerPlugin, TrainingInterrupt

#: The method of a Flair embedding that computes vectors for a batch of sentences.
VECTOR_COMPUTATION = "_add_embeddings_internal"

__all__ = [
    "VECTOR_COMPUTATION",
    "TrainerPlugin",
    "TrainingInterrupt",
    "constructor_arguments",
    "progress_bars_off",
    "saved_model_card",
    "shadow_vector_computation",
    "unshadow_vector_computation",
    "vector_computation",
]


def vector_computation(embedding: Any) -> Callable[[list[Any]], Any]:
    """The bound method that computes ``embedding``'s vectors for a batch of sentences."""
    return getattr(embedding, VECTOR_COMPUTATION)


def shadow_vector_computation(embedding: Any, compute: Callable[[list[Any]], Any]) -> None:
    """Make ``embedding`` (this instance only) compute its vectors with ``compute``, which Flair's ``embed()`` calls."""
    embedding.__dict__[VECTOR_COMPUTATION] = compute


def unshadow_vector_computation(embedding: Any) -> None:
    """Give ``embedding`` back its class's own vector computation."""
    embedding.__dict__.pop(VECTOR_COMPUTATION, None)


@contextlib.contextmanager
def progress_bars_off() -> Iterator[None]:
    """Flair draws no progress bars while the block runs."""
    from flair.file_utils import Tqdm

    progress_bar = Tqdm.tqdm
    Tqdm.tqdm = staticmethod(lambda *args, **kwargs: progress_bar(*args, **{**kwargs, "disable": True}))
    try:
        yield
    finally:
        Tqdm.tqdm = staticmethod(progress_bar)


def constructor_arguments(embedding: Any) -> dict[str, Any] | None:
    """The arguments ``embedding`` was built with, as Flair recorded them (None if it did not)."""
    return getattr(embedding, "instance_parameters", None)


def saved_model_card(path: Path) -> dict[str, Any]:
    """The card of the Flair model saved at ``path`` (empty if it has none), without building the model."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=False)  # a file this search wrote
    return dict(state.get("model_card") or {})
