"""flair-hpo's trial training as a plain Optuna objective, for Optuna users who run their own study.

Example::

    import optuna
    from flair_hpo.training import TrialObjective

    objective = TrialObjective(corpus, search_space, "trials/")
    study = optuna.create_study(direction=search_space.direction, pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=20)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from flair_hpo.space import Configuration, SearchSpace, configuration_seed
from flair_hpo.training.corpus import check_corpus, label_dictionary
from flair_hpo.training.embedding_store import store_for
from flair_hpo.training.monitor import TrialMonitor
from flair_hpo.training.scoring import Objective
from flair_hpo.training.trial_runner import train_configuration


class TrialObjective:
    """Trains one configuration per Optuna trial (define-by-run) and returns its best epoch's dev value; the
    search space's budget is ignored."""

    def __init__(
        self, corpus: Any, search_space: SearchSpace, base_path: str | Path, embedding_store: bool | str | Path = True
    ):
        search_space.check()
        self.corpus = corpus
        self.space = search_space
        self.label_type = check_corpus(corpus, search_space)
        self.dictionary = label_dictionary(corpus, self.label_type)
        self.objective = Objective.of(search_space)
        self.base_path = Path(base_path)
        self.store = store_for(embedding_store)

    def __call__(self, trial: optuna.Trial) -> float:
        labels = self.space.suggest(trial)
        configuration = Configuration.from_labels(self.space, labels, self.label_type, configuration_seed(labels))
        monitor = TrialMonitor(
            self.objective,
            on_epoch=lambda epoch, value: trial.report(value, epoch),
            should_prune=lambda epoch: trial.should_prune(),
            max_epochs=configuration.max_epochs,
        )
        outcome = train_configuration(
            configuration,
            self.corpus,
            self.base_path / f"trial-{trial.number:04d}",
            label_dictionary=self.dictionary,
            monitor=monitor,
            embedding_store=self.store,
        )
        if outcome.pruned:
            raise optuna.TrialPruned(f"pruned after epoch {outcome.epochs} with {outcome.value}")
        return outcome.value
