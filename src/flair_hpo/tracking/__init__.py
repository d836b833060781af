"""Experiment trackers: the search as MLflow runs (:mod:`flair_hpo.tracking.mlflow`), as TensorBoard event
files (:mod:`flair_hpo.tracking.tensorboard`) and as W&B runs (:mod:`flair_hpo.tracking.wandb`), each a listener
of the search's events (:mod:`flair_hpo.results.events`) that the run settings ask for (``mlflow:``,
``tensorboard:``, ``wandb:``)."""

from flair_hpo.tracking.factory import check_trackers, trackers

__all__ = ["check_trackers", "trackers"]
