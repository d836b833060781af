"""The trackers that the run settings ask for, checked before anything is trained."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from flair_hpo.errors import SettingsError
from flair_hpo.results.events import SearchListener
from flair_hpo.search.settings import RunSettings

log = logging.getLogger("flair_hpo")

#: Where ``tensorboard: true`` writes, under base_path.
TENSORBOARD_DIR = "tensorboard"
#: The package each tracker needs, and the extra that installs it.
_NEEDS = {"mlflow": ("mlflow", "mlflow"), "tensorboard": ("tensorboard", "tensorboard"), "wandb": ("wandb", "wandb")}


def _wanted(value: object) -> bool:
    return value is not None and value is not False


def check_trackers(settings: RunSettings) -> None:
    """Refuse a tracker whose package is not installed, or an MLflow tracking store that refuses or does not
    answer (:class:`SettingsError` saying what to do): before a study is created, never in the middle of a search."""
    for setting, (package, extra) in _NEEDS.items():
        if _wanted(getattr(settings, setting)) and importlib.util.find_spec(package) is None:
            raise SettingsError(
                f"{setting} tracking needs the {package} package: pip install 'flair-hpo[{extra}]', or leave "
                f"{setting} out"
            )
    if _wanted(settings.mlflow):
        from flair_hpo.tracking.mlflow import check_mlflow

        problem = check_mlflow(settings.mlflow if isinstance(settings.mlflow, str) else None)
        if problem:
            raise SettingsError(
                f"mlflow: {problem}; start the tracking server (or give a store that opens, such as "
                "sqlite:///mlflow.db), or leave mlflow out"
            )


def trackers(settings: RunSettings) -> list[SearchListener]:
    """A listener for each tracker the settings ask for (without MLflow, one for an unfinished parent run)."""
    from flair_hpo.tracking.mlflow import MlflowTracker, UntrackedParent

    found: list[SearchListener] = []
    if _wanted(settings.mlflow):
        try:  # checked when the search started; a store that refuses since then does not stop the search
            found.append(MlflowTracker(settings.mlflow if isinstance(settings.mlflow, str) else None))
        except Exception as error:
            log.warning("MLflow cannot be used (%s: %s); the search goes on without it", type(error).__name__, error)
    else:  # workers elsewhere may log to MLflow: say that this process does not finish their parent run
        found.append(UntrackedParent())
    if _wanted(settings.tensorboard):
        from flair_hpo.tracking.tensorboard import TensorboardTracker

        folder = settings.tensorboard
        if folder is True or not str(folder):
            folder = settings.base_path / TENSORBOARD_DIR
        found.append(TensorboardTracker(Path(folder)))
    if _wanted(settings.wandb):
        from flair_hpo.tracking.wandb import WandbTracker

        found.append(WandbTracker(settings.wandb if isinstance(settings.wandb, str) else None, settings.base_path))
    return found
