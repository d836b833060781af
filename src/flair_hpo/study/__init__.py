"""The study: where trials are stored (an Optuna study in a journal file or a database, kept whole through
full disks, torn records and outages), with what flair-hpo keeps beside them (the search space, the
strategy, the run settings), heartbeats and the study's clock."""

from flair_hpo.study.storages import DEFAULT_STUDY_NAME, JOURNAL_FILE, open_storage, redact, study_exists
from flair_hpo.study.trial_store import TrialStore

__all__ = ["DEFAULT_STUDY_NAME", "JOURNAL_FILE", "TrialStore", "open_storage", "redact", "study_exists"]
