"""Recipes: ready search spaces for what Flair users train, with the ranges the literature and Flair use.

Each returns a normal, complete search space (20 trials), which can still be changed; its first trials are its
learned portfolio, where it has one, then the published configuration its docstring cites. Example::

    from flair_hpo.search_spaces import recipes

    search_space = recipes.ner_fine_tune(model="xlm-roberta-large")
    search_space.add_budget(parameter.Budget.TIME_IN_H, 12)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from flair_hpo.errors import SearchSpaceError, did_you_mean
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.portfolio import learned_starts
from flair_hpo.space.search_space import SearchSpace
from flair_hpo.space.task_spaces import SequenceTaggerSearchSpace, TextClassifierSearchSpace

_RUNS = 20


def _steered(space: SearchSpace, epochs: int) -> SearchSpace:
    space.add_budget(p.Budget.RUNS, _RUNS)
    space.add_evaluation_metric(p.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(p.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(epochs)
    return space


def ner_fine_tune(model: str = "xlm-roberta-large", tag_type: str = "ner") -> SequenceTaggerSearchSpace:
    """Sequence tagging (NER) by fine-tuning a transformer, as FLERT does.

    FLERT (Schweter & Akbik, 2020, arXiv:2011.06993) fine-tunes with AdamW at 5e-6, mini-batches of 4, 20
    epochs, a linear head (no RNN, no CRF) and 64 tokens of document context; BERT (Devlin et al., 2019) used
    2e-5 to 5e-5 with batches of 16 and 32. Searched: the learning rate from 5e-6 to 1e-4 (log), the batch
    size, the epochs, the context and dropout on the head.
    """
    space = _steered(SequenceTaggerSearchSpace(), epochs=20)
    space.add_tag_type(tag_type)
    space.add_training_mode(p.TrainingMode.FINE_TUNE)
    space.add_word_embeddings(options=[[{"class": "TransformerWordEmbeddings", "model": model, "fine_tune": True}]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=5e-6, high=1e-4, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[4, 8, 16])
    space.add_parameter(p.ModelTrainer.MAX_EPOCHS, options=[10, 20])
    space.add_parameter(p.TransformerWordEmbeddings.USE_CONTEXT, options=[False, 64])
    space.add_parameter(p.SequenceTagger.USE_RNN, options=[False])
    space.add_parameter(p.SequenceTagger.USE_CRF, options=[False])
    space.add_parameter(p.SequenceTagger.DROPOUT, low=0.0, high=0.3)
    space.add_start(  # FLERT's configuration is trained first
        {
            p.ModelTrainer.LEARNING_RATE: 5e-6,
            p.ModelTrainer.MINI_BATCH_SIZE: 4,
            p.ModelTrainer.MAX_EPOCHS: 20,
            p.TransformerWordEmbeddings.USE_CONTEXT: 64,
            p.SequenceTagger.DROPOUT: 0.0,
        },
        strict=False,
    )
    return space


def tagger_frozen(embeddings: list[Any] | None = None, tag_type: str = "ner") -> SequenceTaggerSearchSpace:
    """Sequence tagging with a BiLSTM-CRF over frozen embeddings (computed once per study).

    Lample et al. (2016) and Flair's taggers (Akbik et al., 2018) train a BiLSTM-CRF with SGD at 0.1,
    mini-batches of 32, hidden size 256, locked dropout 0.5 and word dropout 0.05, annealing the learning
    rate on plateau. Searched around those: the learning rate from 0.01 to 0.5 (log), the batch size, the
    hidden size, one or two layers and the dropouts. ``embeddings`` is one option (a list of Flair embeddings
    or specifications), frozen GloVe by default.
    """
    space = _steered(SequenceTaggerSearchSpace(), epochs=30)
    space.add_tag_type(tag_type)
    space.add_training_mode(p.TrainingMode.TRAIN)
    space.add_word_embeddings(options=[embeddings or [{"class": "WordEmbeddings", "embeddings": "glove"}]])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    space.add_parameter(p.SequenceTagger.HIDDEN_SIZE, options=[128, 256, 512])
    space.add_parameter(p.SequenceTagger.RNN_LAYERS, options=[1, 2])
    space.add_parameter(p.SequenceTagger.USE_CRF, options=[True])
    space.add_parameter(p.SequenceTagger.LOCKED_DROPOUT, low=0.0, high=0.5)
    space.add_parameter(p.SequenceTagger.WORD_DROPOUT, low=0.0, high=0.1)
    space.add_start(  # Flair's BiLSTM-CRF is trained first
        {
            p.ModelTrainer.LEARNING_RATE: 0.1,
            p.ModelTrainer.MINI_BATCH_SIZE: 32,
            p.SequenceTagger.HIDDEN_SIZE: 256,
            p.SequenceTagger.RNN_LAYERS: 1,
            p.SequenceTagger.LOCKED_DROPOUT: 0.5,
            p.SequenceTagger.WORD_DROPOUT: 0.05,
        },
        strict=False,
    )
    return space


def classifier_fine_tune(model: str = "distilbert-base-uncased") -> TextClassifierSearchSpace:
    """Text classification by fine-tuning a transformer's document embedding.

    BERT (Devlin et al., 2019) fine-tuned classifiers at 2e-5 to 5e-5 with batches of 16 and 32 for 2 to 4
    epochs; Flair's tutorial fine-tunes TREC_6 at 5e-5 with batches of 4 for 10 epochs. Searched: the
    learning rate from 1e-5 to 1e-4 (log), the batch size, the epochs and the pooling of the document vector.
    """
    space = _steered(TextClassifierSearchSpace(), epochs=10)
    space.add_training_mode(p.TrainingMode.FINE_TUNE)
    space.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=[model])
    space.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=[True])
    space.add_parameter(p.TransformerDocumentEmbeddings.CLS_POOLING, options=["cls", "mean"])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=1e-5, high=1e-4, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32])
    space.add_parameter(p.ModelTrainer.MAX_EPOCHS, options=[3, 5, 10])
    space.add_start(  # in BERT's published grid: trained first
        {
            p.TransformerDocumentEmbeddings.CLS_POOLING: "cls",
            p.ModelTrainer.LEARNING_RATE: 5e-5,
            p.ModelTrainer.MINI_BATCH_SIZE: 16,
            p.ModelTrainer.MAX_EPOCHS: 3,
        },
        strict=False,
    )
    return space


def classifier_frozen(model: str = "sentence-transformers/all-MiniLM-L6-v2") -> TextClassifierSearchSpace:
    """Text classification with a linear head over a frozen transformer's document embedding.

    Cheap and strong for sentence embedding models (Reimers & Gurevych, 2019): the vectors are computed once
    per study and each trial trains only the head, with SGD. Searched: the learning rate from 0.01 to 0.5 (log),
    the batch size and the pooling; first its learned portfolio, then Flair's defaults.
    """
    space = _steered(TextClassifierSearchSpace(), epochs=10)
    space.add_training_mode(p.TrainingMode.TRAIN)
    space.add_parameter(p.TransformerDocumentEmbeddings.MODEL, options=[model])
    space.add_parameter(p.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    space.add_parameter(p.TransformerDocumentEmbeddings.CLS_POOLING, options=["cls", "mean", "max"])
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    space.add_parameter(p.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32, 64])
    # The learned portfolio first: on the benchmark's corpora Flair's defaults below are among the grid's worst.
    for start in learned_starts("classifier-frozen"):
        space.add_start(start, strict=False)
    space.add_start(  # Flair's defaults for training a head (SGD at 0.1, batches of 32): trained after them
        {
            p.TransformerDocumentEmbeddings.CLS_POOLING: "cls",
            p.ModelTrainer.LEARNING_RATE: 0.1,
            p.ModelTrainer.MINI_BATCH_SIZE: 32,
        },
        strict=False,
    )
    return space


#: The recipes by the names YAML files and the command line use.
RECIPES: dict[str, Callable[..., SearchSpace]] = {
    "ner-fine-tune": ner_fine_tune,
    "tagger-frozen": tagger_frozen,
    "classifier-fine-tune": classifier_fine_tune,
    "classifier-frozen": classifier_frozen,
}


def recipe(name: str, model: str | None = None, tag_type: str | None = None) -> SearchSpace:
    """The recipe called ``name``, with its transformer ``model`` (a name or a folder) where one is given."""
    _check_name(name)
    arguments: dict[str, Any] = {}
    if model is not None:
        if name == "tagger-frozen":
            arguments["embeddings"] = [{"class": "TransformerWordEmbeddings", "model": model, "fine_tune": False}]
        else:
            arguments["model"] = model
    if tag_type is not None and name in ("ner-fine-tune", "tagger-frozen"):
        arguments["tag_type"] = tag_type
    return RECIPES[name](**arguments)


def recipe_task(name: str) -> str:
    """The task of the recipe ``name``, told without building it (which would load torch)."""
    _check_name(name)
    return get_type_hints(RECIPES[name])["return"].task


def default_model(name: str) -> str | None:
    """The transformer the recipe ``name`` uses when no model is given (None: it names no transformer)."""
    _check_name(name)
    default = inspect.signature(RECIPES[name]).parameters.get("model")
    return None if default is None else default.default


def _check_name(name: str) -> None:
    if name not in RECIPES:
        raise SearchSpaceError(
            f"there is no recipe '{name}' (recipes: {', '.join(RECIPES)}){did_you_mean(name, RECIPES)}"
        )
