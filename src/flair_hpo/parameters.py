"""The names a search space is written with, as in the tutorial: ``import flair_hpo.parameters as parameter``.

The enums are defined in :mod:`flair_hpo.space.parameter_enums`, where each member says which Flair argument it
sets.
"""

from flair_hpo.space.parameter_enums import (
    DOCUMENT_EMBEDDINGS,
    FLAIR_TARGETS,
    PARAMETER_GROUPS,
    WORD_BASED_DOCUMENT_EMBEDDINGS,
    Budget,
    DocumentCNNEmbeddings,
    DocumentPoolEmbeddings,
    DocumentRNNEmbeddings,
    EvaluationMetric,
    ModelTrainer,
    OptimizationValue,
    Optimizer,
    SequenceTagger,
    TextClassifier,
    TrainingMode,
    TransformerDocumentEmbeddings,
    TransformerWordEmbeddings,
    is_word_embeddings,
    parameter_key,
)

__all__ = [
    "DOCUMENT_EMBEDDINGS",
    "FLAIR_TARGETS",
    "PARAMETER_GROUPS",
    "WORD_BASED_DOCUMENT_EMBEDDINGS",
    "Budget",
    "DocumentCNNEmbeddings",
    "DocumentPoolEmbeddings",
    "DocumentRNNEmbeddings",
    "EvaluationMetric",
    "ModelTrainer",
    "OptimizationValue",
    "Optimizer",
    "SequenceTagger",
    "TextClassifier",
    "TrainingMode",
    "TransformerDocumentEmbeddings",
    "TransformerWordEmbeddings",
    "is_word_embeddings",
    "parameter_key",
]
