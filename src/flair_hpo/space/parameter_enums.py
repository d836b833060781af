"""The names a search space is written with: ``import flair_hpo.parameters as parameter``.

Steering enums (:class:`Budget`, :class:`EvaluationMetric`, :class:`OptimizationValue`) and one enum per Flair
(or torch) class with tunable arguments, each member's value the keyword argument it sets. Example::

    import flair_hpo.parameters as parameter

    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    search_space.add_parameter(parameter.SequenceTagger.DROPOUT, low=0.0, high=0.5)
"""

from __future__ import annotations

from enum import Enum


class Budget(Enum):
    """How much searching to do. Exactly one budget is set per search space."""

    #: Wall-clock hours (a float). No trial starts after the deadline; a running one stops at its
    #: next epoch boundary and keeps its best score so far.
    TIME_IN_H = "time_in_h"
    #: Number of trials (an int), failed ones included.
    RUNS = "runs"
    #: Generations of ``population_size`` trials (an int); only for ``EvolutionarySearch``.
    GENERATIONS = "generations"


class EvaluationMetric(Enum):
    """Which dev-split score ranks configurations (when optimizing ``DEV_SCORE``)."""

    MICRO_F1_SCORE = "micro_f1_score"
    MACRO_F1_SCORE = "macro_f1_score"
    MICRO_ACCURACY = "micro_accuracy"
    #: Mean of the per-class recalls, i.e. balanced accuracy.
    MACRO_ACCURACY = "macro_accuracy"


class OptimizationValue(Enum):
    """What a trial is judged by: the dev score (maximized) or the dev loss (minimized)."""

    DEV_SCORE = "dev_score"
    DEV_LOSS = "dev_loss"


class ModelTrainer(Enum):
    """Arguments of :meth:`flair.trainers.ModelTrainer.train` and :meth:`~flair.trainers.ModelTrainer.fine_tune`.

    ``WARMUP_FRACTION`` applies only to ``fine_tune``; ``ANNEAL_FACTOR``, ``PATIENCE``,
    ``INITIAL_EXTRA_PATIENCE``, ``MIN_LEARNING_RATE`` and ``ANNEAL_WITH_RESTARTS`` only to ``train`` (see
    :class:`TrainingMode`). ``USE_AMP`` needs a GPU.
    """

    OPTIMIZER = "optimizer"
    LEARNING_RATE = "learning_rate"
    DECODER_LEARNING_RATE = "decoder_learning_rate"
    MINI_BATCH_SIZE = "mini_batch_size"
    MINI_BATCH_CHUNK_SIZE = "mini_batch_chunk_size"
    ANNEAL_FACTOR = "anneal_factor"
    PATIENCE = "patience"
    INITIAL_EXTRA_PATIENCE = "initial_extra_patience"
    MIN_LEARNING_RATE = "min_learning_rate"
    ANNEAL_WITH_RESTARTS = "anneal_with_restarts"
    WARMUP_FRACTION = "warmup_fraction"
    USE_AMP = "use_amp"
    #: Epochs to train, up to the space's ``max_epochs_per_training_run`` (with ``fine_tune``, the linear
    #: schedule spans them, so fewer epochs is a different schedule, not an early stop).
    MAX_EPOCHS = "max_epochs"


class TrainingMode(Enum):
    """How a trial is trained; by default fine-tuned when one of its embeddings is."""

    #: ``ModelTrainer.fine_tune``: AdamW, a linear learning-rate schedule with warm-up, no annealing.
    FINE_TUNE = "fine_tune"
    #: ``ModelTrainer.train``: SGD unless ``OPTIMIZER`` says otherwise, learning rate annealed on plateau.
    TRAIN = "train"


class Optimizer(Enum):
    """Arguments of the torch optimizer ``ModelTrainer.OPTIMIZER`` chooses, each only where it is accepted."""

    WEIGHT_DECAY = "weight_decay"
    MOMENTUM = "momentum"
    DAMPENING = "dampening"
    NESTEROV = "nesterov"
    AMSGRAD = "amsgrad"
    BETAS = "betas"
    EPS = "eps"


class SequenceTagger(Enum):
    """Arguments of :class:`flair.models.SequenceTagger`."""

    WORD_EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    USE_CRF = "use_crf"
    USE_RNN = "use_rnn"
    RNN_TYPE = "rnn_type"
    RNN_LAYERS = "rnn_layers"
    BIDIRECTIONAL = "bidirectional"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    REPROJECT_EMBEDDINGS = "reproject_embeddings"
    TRAIN_INITIAL_HIDDEN_STATE = "train_initial_hidden_state"
    TAG_FORMAT = "tag_format"


class TextClassifier(Enum):
    """Arguments of :class:`flair.models.TextClassifier` (which it hands to ``DefaultClassifier``)."""

    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    MULTI_LABEL_THRESHOLD = "multi_label_threshold"


class DocumentRNNEmbeddings(Enum):
    """Arguments of :class:`flair.embeddings.DocumentRNNEmbeddings`."""

    WORD_EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    RNN_LAYERS = "rnn_layers"
    REPROJECT_WORDS = "reproject_words"
    REPROJECT_WORDS_DIMENSION = "reproject_words_dimension"
    BIDIRECTIONAL = "bidirectional"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    RNN_TYPE = "rnn_type"
    FINE_TUNE = "fine_tune"


class DocumentPoolEmbeddings(Enum):
    """Arguments of :class:`flair.embeddings.DocumentPoolEmbeddings`."""

    WORD_EMBEDDINGS = "embeddings"
    FINE_TUNE_MODE = "fine_tune_mode"
    POOLING = "pooling"


class DocumentCNNEmbeddings(Enum):
    """Arguments of :class:`flair.embeddings.DocumentCNNEmbeddings`."""

    WORD_EMBEDDINGS = "embeddings"
    KERNELS = "kernels"
    REPROJECT_WORDS = "reproject_words"
    REPROJECT_WORDS_DIMENSION = "reproject_words_dimension"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    FINE_TUNE = "fine_tune"


class TransformerDocumentEmbeddings(Enum):
    """Arguments of :class:`flair.embeddings.TransformerDocumentEmbeddings`; ``MODEL`` is required."""

    MODEL = "model"
    FINE_TUNE = "fine_tune"
    LAYERS = "layers"
    LAYER_MEAN = "layer_mean"
    CLS_POOLING = "cls_pooling"
    ALLOW_LONG_SENTENCES = "allow_long_sentences"


class TransformerWordEmbeddings(Enum):
    """Arguments applied to every :class:`flair.embeddings.TransformerWordEmbeddings` of the chosen option.
    ``USE_CONTEXT`` is FLERT's document context: ``True`` or a number of context tokens."""

    FINE_TUNE = "fine_tune"
    LAYERS = "layers"
    LAYER_MEAN = "layer_mean"
    SUBTOKEN_POOLING = "subtoken_pooling"
    ALLOW_LONG_SENTENCES = "allow_long_sentences"
    USE_CONTEXT = "use_context"
    CONTEXT_DROPOUT = "context_dropout"
    RESPECT_DOCUMENT_BOUNDARIES = "respect_document_boundaries"


#: The optimizer each training mode uses unless ``ModelTrainer.OPTIMIZER`` chooses (Flair's defaults).
DEFAULT_OPTIMIZERS: dict[TrainingMode, str] = {
    TrainingMode.TRAIN: "torch.optim.SGD",
    TrainingMode.FINE_TUNE: "torch.optim.AdamW",
}

#: ``ModelTrainer`` arguments that only one training mode takes.
MODE_ONLY: dict[ModelTrainer, TrainingMode] = {
    ModelTrainer.ANNEAL_FACTOR: TrainingMode.TRAIN,
    ModelTrainer.PATIENCE: TrainingMode.TRAIN,
    ModelTrainer.INITIAL_EXTRA_PATIENCE: TrainingMode.TRAIN,
    ModelTrainer.MIN_LEARNING_RATE: TrainingMode.TRAIN,
    ModelTrainer.ANNEAL_WITH_RESTARTS: TrainingMode.TRAIN,
    ModelTrainer.WARMUP_FRACTION: TrainingMode.FINE_TUNE,
}

#: Where each parameter enum's values go: dotted names of the callables whose keyword arguments the
#: members are. A member must be an argument of at least one of them (``Optimizer`` members of at
#: least one optimizer; Transformer embeddings take most arguments through their base class).
FLAIR_TARGETS: dict[type[Enum], tuple[str, ...]] = {
    ModelTrainer: ("flair.trainers.ModelTrainer.train", "flair.trainers.ModelTrainer.fine_tune"),
    Optimizer: ("torch.optim.SGD", "torch.optim.Adam", "torch.optim.AdamW", "torch.optim.RMSprop"),
    SequenceTagger: ("flair.models.SequenceTagger",),
    TextClassifier: ("flair.models.TextClassifier", "flair.nn.DefaultClassifier"),
    DocumentRNNEmbeddings: ("flair.embeddings.DocumentRNNEmbeddings",),
    DocumentPoolEmbeddings: ("flair.embeddings.DocumentPoolEmbeddings",),
    DocumentCNNEmbeddings: ("flair.embeddings.DocumentCNNEmbeddings",),
    TransformerDocumentEmbeddings: (
        "flair.embeddings.TransformerDocumentEmbeddings",
        "flair.embeddings.transformer.TransformerEmbeddings",
    ),
    TransformerWordEmbeddings: (
        "flair.embeddings.TransformerWordEmbeddings",
        "flair.embeddings.transformer.TransformerEmbeddings",
    ),
}

#: Document-embedding classes a text classifier chooses between. Each is a branch of the search
#: space: its parameters apply only to configurations that use it.
DOCUMENT_EMBEDDINGS: tuple[type[Enum], ...] = (
    DocumentRNNEmbeddings,
    DocumentPoolEmbeddings,
    DocumentCNNEmbeddings,
    TransformerDocumentEmbeddings,
)

#: Document-embedding classes that are built on top of word embeddings.
WORD_BASED_DOCUMENT_EMBEDDINGS: tuple[type[Enum], ...] = (
    DocumentRNNEmbeddings,
    DocumentPoolEmbeddings,
    DocumentCNNEmbeddings,
)

PARAMETER_GROUPS: dict[str, type[Enum]] = {group.__name__: group for group in FLAIR_TARGETS}


def parameter_key(member: Enum) -> str:
    """The name a parameter has in configurations, the trial store and the leaderboard.

    >>> parameter_key(DocumentRNNEmbeddings.HIDDEN_SIZE)
    'DocumentRNNEmbeddings.hidden_size'
    """
    return f"{type(member).__name__}.{member.value}"


def is_word_embeddings(member: Enum) -> bool:
    """Whether ``member`` takes word-embedding options (lists of Flair token embeddings)."""
    return member.value == "embeddings"
