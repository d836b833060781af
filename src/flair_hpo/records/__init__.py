"""The trial records: every key flair-hpo stores in an Optuna study, one trial as flair-hpo sees it, and all
trials of a study, read by every layer above as Optuna's samplers read ``FrozenTrial``."""

from flair_hpo.records import keys
from flair_hpo.records.history import ConfigurationScore, History
from flair_hpo.records.trial import TrialRecord, TrialStatus, queue_notes, trained_key

__all__ = ["ConfigurationScore", "History", "TrialRecord", "TrialStatus", "keys", "queue_notes", "trained_key"]
