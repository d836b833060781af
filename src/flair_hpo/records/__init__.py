"""The trial records: what flair-hpo stores in an Optuna study (every key, :mod:`~flair_hpo.records.keys`),
one trial as flair-hpo sees it (:class:`TrialRecord`, :class:`TrialStatus`) and all trials of a study
(:class:`History`). The lowest layer above the search space: strategies, training, the study store, results
and the orchestration all read trials through it, as Optuna's samplers read ``FrozenTrial``."""

from flair_hpo.records import keys
from flair_hpo.records.history import ConfigurationScore, History
from flair_hpo.records.trial import TrialRecord, TrialStatus, queue_notes, trained_key

__all__ = ["ConfigurationScore", "History", "TrialRecord", "TrialStatus", "keys", "queue_notes", "trained_key"]
