"""The study: where trials are stored (an Optuna study in a journal file or a database), with what flair-hpo
keeps beside them, heartbeats, the study's clock and which study a folder's search is."""

from flair_hpo.study.names import EARLIER_DEFAULT, folder_name, searches_in, study_name_for
from flair_hpo.study.storages import JOURNAL_FILE, open_storage, redact, study_exists
from flair_hpo.study.trial_store import TrialStore

__all__ = [
    "EARLIER_DEFAULT",
    "JOURNAL_FILE",
    "TrialStore",
    "folder_name",
    "open_storage",
    "redact",
    "searches_in",
    "study_exists",
    "study_name_for",
]
