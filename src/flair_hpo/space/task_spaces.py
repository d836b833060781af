"""The search spaces of the two tasks: text classification (where the document-embedding class is itself a
choice) and sequence labeling."""

from __future__ import annotations

from enum import Enum
from typing import Any

from flair_hpo.errors import SearchSpaceError
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.consistency import transformer_word_problems
from flair_hpo.space.dimensions import Choice, Dimension
from flair_hpo.space.search_space import DOCUMENT_EMBEDDINGS, SEQUENCE_LABELING, TEXT_CLASSIFICATION, SearchSpace


class TextClassifierSearchSpace(SearchSpace):
    """Search space for :class:`flair.models.TextClassifier`; ``multi_label``: several labels a sentence."""

    task = TEXT_CLASSIFICATION
    parameter_groups = (
        p.ModelTrainer,
        p.Optimizer,
        p.TextClassifier,
        *p.DOCUMENT_EMBEDDINGS,
        p.TransformerWordEmbeddings,
    )

    def __init__(self, multi_label: bool = False) -> None:
        super().__init__()
        if not isinstance(multi_label, bool):
            raise SearchSpaceError(f"multi_label must be True or False, not {multi_label!r}")
        self.multi_label = multi_label
        self.label_type: str | None = None

    def add_label_type(self, label_type: str) -> None:
        """The label type to predict; only needed when the corpus has more than one."""
        if not isinstance(label_type, str) or not label_type:
            raise SearchSpaceError(f"the label type must be a non-empty string, not {label_type!r}")
        self.label_type = label_type

    def _default_word_embeddings_parameters(self) -> list[Enum]:
        groups = [p.PARAMETER_GROUPS[branch] for branch in self._branches()]
        members = [group.WORD_EMBEDDINGS for group in groups if group in p.WORD_BASED_DOCUMENT_EMBEDDINGS]
        if not members:
            raise SearchSpaceError(
                "a text classifier needs to know which document embeddings use the word embeddings: "
                "add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[...]) "
                "(or DocumentPoolEmbeddings / DocumentCNNEmbeddings)"
            )
        return members

    def _branches(self) -> list[str]:
        """Document-embedding classes with parameters, in the order they were first added."""
        branches: list[str] = []
        for dimension in self._parameters.values():
            if dimension.condition and dimension.parents == [DOCUMENT_EMBEDDINGS]:
                ((_, (branch,)),) = dimension.condition
                if branch not in branches:
                    branches.append(branch)
        return branches

    def _own_dimensions(self) -> list[Dimension]:
        branches = self._branches()
        if not branches:
            return super()._own_dimensions()
        chooser = Choice(name=DOCUMENT_EMBEDDINGS, labels=tuple(branches), values=tuple(branches))
        return [chooser, *super()._own_dimensions()]

    def _task_problems(self) -> list[str]:
        branches = self._branches()
        if not branches:
            return [
                "no document embeddings: add parameters of DocumentRNNEmbeddings, DocumentPoolEmbeddings, "
                "DocumentCNNEmbeddings or TransformerDocumentEmbeddings (e.g. add_word_embeddings("
                "parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[...]))"
            ]
        problems = []
        for branch in branches:
            group = p.PARAMETER_GROUPS[branch]
            if group in p.WORD_BASED_DOCUMENT_EMBEDDINGS and f"{branch}.embeddings" not in self._parameters:
                problems.append(
                    f"{branch} has no word embeddings: add_word_embeddings(parameter.{branch}.WORD_EMBEDDINGS, "
                    "options=[...])"
                )
            if group is p.TransformerDocumentEmbeddings and f"{branch}.model" not in self._parameters:
                problems.append(
                    "TransformerDocumentEmbeddings needs models to try: add_parameter("
                    "parameter.TransformerDocumentEmbeddings.MODEL, options=['bert-base-uncased', ...])"
                )
        return problems + transformer_word_problems(self.dimensions)

    def _task_settings(self) -> dict[str, Any]:
        return {"multi_label": self.multi_label, "label_type": self.label_type}


class SequenceTaggerSearchSpace(SearchSpace):
    """Search space for :class:`flair.models.SequenceTagger`; call :meth:`add_tag_type`."""

    task = SEQUENCE_LABELING
    parameter_groups = (p.ModelTrainer, p.Optimizer, p.SequenceTagger, p.TransformerWordEmbeddings)

    def __init__(self) -> None:
        super().__init__()
        self.tag_type: str | None = None

    def add_tag_type(self, tag_type: str) -> None:
        """The label type to tag, e.g. ``"ner"`` or ``"pos"``."""
        if not isinstance(tag_type, str) or not tag_type:
            raise SearchSpaceError(f"the tag type must be a non-empty string such as 'ner', not {tag_type!r}")
        self.tag_type = tag_type

    def _default_word_embeddings_parameters(self) -> list[Enum]:
        return [p.SequenceTagger.WORD_EMBEDDINGS]

    def _task_problems(self) -> list[str]:
        problems = []
        if self.tag_type is None:
            problems.append("no tag type: call add_tag_type('ner') (or the label type your corpus has)")
        if p.parameter_key(p.SequenceTagger.WORD_EMBEDDINGS) not in self._parameters:
            problems.append("no word embeddings: call add_word_embeddings(options=[[embedding, ...], ...])")
        return problems + transformer_word_problems(self.dimensions)

    def _task_settings(self) -> dict[str, Any]:
        return {"tag_type": self.tag_type}


def space_from_dict(data: dict[str, Any]) -> SearchSpace:
    """Rebuild a search space from :meth:`SearchSpace.to_dict` output (as stored with a study)."""
    space: SearchSpace
    if data["task"] == TEXT_CLASSIFICATION:
        space = TextClassifierSearchSpace(multi_label=data.get("multi_label", False))
        space.label_type = data.get("label_type")
    else:
        space = SequenceTaggerSearchSpace()
        space.tag_type = data.get("tag_type")
    space.load_dict(data)
    return space
