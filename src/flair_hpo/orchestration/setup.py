"""Everything a search is made of, checked: the corpus, the space, the strategy and the run settings; worker
processes receive it pickled, with what their parent allows."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from optuna.pruners import BasePruner

from flair_hpo.policies import Policies
from flair_hpo.results.events import SearchListener
from flair_hpo.search.settings import RunSettings
from flair_hpo.space import Configuration, Label, SearchSpace, configuration_seed
from flair_hpo.space.registry import register, registered
from flair_hpo.space.trust import allow, allowance
from flair_hpo.strategies import Strategy
from flair_hpo.tracking import trackers
from flair_hpo.training.corpus import label_dictionary
from flair_hpo.training.embedding_store import EmbeddingStore
from flair_hpo.training.scoring import Objective


@dataclass
class SearchSetup:
    """The checked parts of one search."""

    corpus: Any
    label_type: str
    search_space: SearchSpace
    search_strategy: Strategy
    settings: RunSettings
    pruner: BasePruner
    embedding_store: EmbeddingStore | None
    policies: Policies = field(default_factory=Policies)
    objective: Objective = field(init=False)

    def __post_init__(self) -> None:
        self.objective = Objective.of(self.search_space)

    @cached_property
    def label_dictionary(self) -> Any:
        """The labels a model predicts, from the train split."""
        return label_dictionary(self.corpus, self.label_type)

    def trackers(self) -> list[SearchListener]:
        """The experiment trackers the run settings ask for, each a listener of the search's events."""
        return trackers(self.settings)

    def configuration(self, labels: dict[str, Label], replicate: int = 0) -> Configuration:
        """The configuration of ``labels``, with its ``replicate``-th training seed, derived from the
        configuration alone so that training it again reproduces its model."""
        seed = configuration_seed(labels, replicate)
        return Configuration.from_labels(self.search_space, labels, self.label_type, seed)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("label_dictionary", None)  # rebuilt in the worker process
        state["registered"] = registered()  # classes of the user's code the space names
        state["allowance"] = allowance()  # what the user who started the search allowed
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for cls in state.pop("registered", []):
            register(cls)
        allowed = state.pop("allowance", None)
        if allowed is not None:
            allow(allowed.roots, trust_remote_code=allowed.trust_remote_code)
        self.__dict__.update(state)
