"""Training: a configuration becomes a Flair model (:mod:`~flair_hpo.training.model_factory`, where every
parameter is routed to Flair), is trained and scored on dev after every epoch
(:mod:`~flair_hpo.training.trial_runner`, :mod:`~flair_hpo.training.monitor`,
:mod:`~flair_hpo.training.scoring`), over frozen embeddings computed once per study
(:mod:`~flair_hpo.training.embedding_store`), and stopped early when hopeless
(:mod:`~flair_hpo.training.pruning`)."""

from flair_hpo.training.monitor import TrialMonitor
from flair_hpo.training.objective import TrialObjective
from flair_hpo.training.scoring import Objective
from flair_hpo.training.trial_runner import TrialOutcome, train, train_configuration

__all__ = ["Objective", "TrialMonitor", "TrialObjective", "TrialOutcome", "train", "train_configuration"]
