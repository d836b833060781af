"""Experiment trackers (MLflow, TensorBoard, W&B), each a listener of the search's events that the run settings
ask for."""

from flair_hpo.tracking.factory import check_trackers, trackers

__all__ = ["check_trackers", "trackers"]
