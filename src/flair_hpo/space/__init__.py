"""The search space: the parameters to tune (each routed to a Flair argument), their options or ranges, the
steering parameters of a search, and a :class:`Configuration`, one point of the space."""

from flair_hpo.space.configuration import Configuration, configuration_seed
from flair_hpo.space.dimensions import Choice, Dimension, Label, Range, configuration_key
from flair_hpo.space.search_space import DOCUMENT_EMBEDDINGS, SEQUENCE_LABELING, TEXT_CLASSIFICATION, SearchSpace
from flair_hpo.space.task_spaces import SequenceTaggerSearchSpace, TextClassifierSearchSpace, space_from_dict

__all__ = [
    "DOCUMENT_EMBEDDINGS",
    "SEQUENCE_LABELING",
    "TEXT_CLASSIFICATION",
    "Choice",
    "Configuration",
    "Dimension",
    "Label",
    "Range",
    "SearchSpace",
    "SequenceTaggerSearchSpace",
    "TextClassifierSearchSpace",
    "configuration_key",
    "configuration_seed",
    "space_from_dict",
]
