"""Where every parameter reaches Flair: a configuration becomes a Flair model and trainer arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flair_hpo.space import Configuration
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.embedding_specs import EmbeddingSpec, build_embedding
from flair_hpo.space.registry import optimizer_class, takes_argument

if TYPE_CHECKING:
    import flair

# ModelTrainer.train's defaults.
_FLAIR_DEFAULT_LEARNING_RATE = 0.1
_FLAIR_DEFAULT_MIN_LEARNING_RATE = 0.0001
# Arguments whose JSON form (a list) must reach Flair as a tuple.
_TUPLE_ARGUMENTS = {"betas", "kernels"}


def _tuples(arguments: dict[str, Any]) -> dict[str, Any]:
    def as_tuple(value: Any) -> Any:
        return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value

    return {k: as_tuple(v) if k in _TUPLE_ARGUMENTS else v for k, v in arguments.items()}


def build_word_embeddings(specs: list[EmbeddingSpec], configuration: Configuration) -> list[Any]:
    """Fresh token embeddings for one word-embedding option."""
    overrides = configuration.arguments(p.TransformerWordEmbeddings)
    embeddings = []
    for spec in specs:
        if overrides and spec["class"].rpartition(".")[2] == "TransformerWordEmbeddings":
            spec = {**spec, **overrides}
        embeddings.append(build_embedding(spec))
    return embeddings


def build_document_embeddings(configuration: Configuration) -> flair.embeddings.DocumentEmbeddings:
    """The document embeddings of a text-classifier configuration."""
    import flair.embeddings

    branch = configuration.document_embeddings
    arguments = _tuples(configuration.arguments(branch))
    if "embeddings" in arguments:
        arguments["embeddings"] = build_word_embeddings(arguments["embeddings"], configuration)
    return getattr(flair.embeddings, branch)(**arguments)


def build_model(configuration: Configuration, label_dictionary: flair.data.Dictionary) -> flair.nn.Model:
    """A fresh Flair model for ``configuration``, predicting the labels in ``label_dictionary``."""
    from flair.embeddings import StackedEmbeddings
    from flair.models import SequenceTagger, TextClassifier

    if configuration.document_embeddings is not None:
        return TextClassifier(
            build_document_embeddings(configuration),
            label_type=configuration.label_type,
            label_dictionary=label_dictionary,
            multi_label=configuration.multi_label,
            **configuration.arguments(p.TextClassifier),
        )
    arguments = configuration.arguments(p.SequenceTagger)
    word_embeddings = build_word_embeddings(arguments.pop("embeddings"), configuration)
    embeddings = word_embeddings[0] if len(word_embeddings) == 1 else StackedEmbeddings(word_embeddings)
    return SequenceTagger(
        embeddings=embeddings,
        tag_dictionary=label_dictionary,
        tag_type=configuration.label_type,
        **arguments,
    )


def training_arguments(configuration: Configuration) -> dict[str, Any]:
    """Keyword arguments for ``ModelTrainer.train`` or ``fine_tune``, optimizer arguments included.

    Unless tuned, ``min_learning_rate`` is a thousandth of the learning rate: Flair's default would stop a
    smaller learning rate after one epoch.
    """
    mode = p.TrainingMode(configuration.training_mode)
    # The search space refuses an argument of the other mode; a hand-written configuration may have one.
    others = {member.value for member, only in p.MODE_ONLY.items() if only is not mode}
    others.add(p.ModelTrainer.MAX_EPOCHS.value)  # the configuration's max_epochs, given by the caller
    arguments = {k: v for k, v in configuration.arguments(p.ModelTrainer).items() if k not in others}
    if mode is p.TrainingMode.TRAIN:
        learning_rate = arguments.get("learning_rate", _FLAIR_DEFAULT_LEARNING_RATE)
        if "min_learning_rate" not in arguments and learning_rate <= _FLAIR_DEFAULT_MIN_LEARNING_RATE:
            arguments["min_learning_rate"] = learning_rate / 1000
    optimizer = optimizer_class(arguments.pop("optimizer", p.DEFAULT_OPTIMIZERS[mode]))
    given = configuration.arguments(p.Optimizer)
    optimizer_arguments = {k: v for k, v in given.items() if takes_argument(optimizer, k)}
    return {**arguments, "optimizer": optimizer, **_tuples(optimizer_arguments)}
