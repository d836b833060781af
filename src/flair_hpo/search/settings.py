"""The settings of a run, checked once: where results go, where the study lives, and how trials are run.

:class:`RunSettings` is what :class:`~flair_hpo.orchestration.search_run.Orchestrator` takes besides the
corpus, the search space and the strategy; ``flair-hpo run`` maps the YAML keys of the same names onto it,
and the part a worker elsewhere needs is stored with the study (:meth:`RunSettings.stored`), so that
``flair-hpo worker`` rebuilds the same run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optuna.pruners import BasePruner
from optuna.storages import BaseStorage

from flair_hpo.checks import flag, whole_number
from flair_hpo.errors import SettingsError
from flair_hpo.policies import Reseeding
from flair_hpo.study.storages import HEARTBEAT_INTERVAL, redact
from flair_hpo.training.corpus_reference import check_corpus_section
from flair_hpo.training.pruning import check_pruner

#: Seconds a heartbeat interval may be at most (a day): a dead worker's trial waits three intervals.
_MAX_HEARTBEAT = 86_400


@dataclass(frozen=True)
class RunSettings:
    """How a search runs.

    Attributes:
        base_path: folder for the study, the best model, the leaderboard and the log.
        storage: an Optuna storage URL or object; None keeps the study in ``base_path/study.journal``.
        study_name: the study's name in the storage; None names it after base_path's folder, or takes the
            search the folder already holds (:mod:`flair_hpo.study.names`).
        pruner: how hopeless trials are stopped early: ``"auto"``, ``"successive_halving"``, ``"hyperband"``,
            ``"median"``, ``"none"`` or an Optuna pruner (see :mod:`flair_hpo.training.pruning`).
        embedding_store: compute frozen embeddings once and serve them to every trial: True keeps them in the
            machine's cache (shared by every study; ``$FLAIR_HPO_CACHE``), a path in that folder, False nowhere.
        final_model: after the search, train the best configuration on train + dev for all its epochs.
        heartbeat_interval: seconds between the heartbeats of a running trial; a trial silent for three
            intervals is taken for dead and its configuration is trained again.
        corpus: a reference to the corpus that any machine can load (``{"dataset": "TREC_6"}``), or None
            when the corpus was given as an object.
        reseeding: how many of the best configurations are trained again with further seeds at the end of
            the search, before the best mean wins (:class:`~flair_hpo.policies.reseeding.Reseeding`, or a
            mapping ``{"finalists": 3, "seeds": 3}``); None chooses the best single trial.
        mlflow: log the search to MLflow (:mod:`flair_hpo.tracking.mlflow`): a tracking URI, or True (or
            ``""``) for MLflow's default (``$MLFLOW_TRACKING_URI``); None or False logs nothing.
        tensorboard: write TensorBoard event files, one run folder per trial: a folder, or True (or ``""``) for
            ``base_path/tensorboard``; None or False writes none.
        wandb: log each trial as a Weights & Biases run (:mod:`flair_hpo.tracking.wandb`): a W&B project, or True
            (or ``""``) for the project ``flair-hpo``; None or False logs nothing.
        warm_start: learn from earlier studies of the same task on this machine (:mod:`flair_hpo.search.earlier`):
            True (or ``"starts"``) first trains their best configurations; ``"prior"`` fits BayesianSearch's
            TPE on their results from the first trial on; False learns nothing from them.
    """

    base_path: Path
    storage: str | BaseStorage | None = None
    study_name: str | None = None
    pruner: str | BasePruner | None = "auto"
    embedding_store: bool | str | Path = True
    final_model: bool = False
    heartbeat_interval: int = HEARTBEAT_INTERVAL
    corpus: Mapping[str, Any] | None = None
    reseeding: Reseeding | Mapping[str, Any] | None = None
    mlflow: str | bool | None = None
    tensorboard: str | Path | bool | None = None
    wandb: str | bool | None = None
    warm_start: bool | str = False

    def __post_init__(self) -> None:
        if not isinstance(self.base_path, str | Path) or not str(self.base_path):
            raise SettingsError(f"base_path must be a folder path, not {self.base_path!r}")
        object.__setattr__(self, "base_path", Path(self.base_path))
        if self.base_path.exists() and not self.base_path.is_dir():
            raise SettingsError(f"base_path {self.base_path} is a file; give a folder")
        if self.storage is not None and not isinstance(self.storage, str | BaseStorage):
            raise SettingsError(f"storage must be an Optuna storage URL or storage object, not {self.storage!r}")
        if isinstance(self.storage, str) and not self.storage.strip():
            raise SettingsError("storage must be an Optuna storage URL such as postgresql://user@host/db, not ''")
        if self.study_name is not None and (not isinstance(self.study_name, str) or not self.study_name):
            raise SettingsError(f"study_name must be a non-empty string, or None, not {self.study_name!r}")
        check_pruner(self.pruner)
        if not isinstance(self.embedding_store, bool):
            _folder(self.embedding_store, "embedding_store")
        flag(self.final_model, "final_model", SettingsError)
        object.__setattr__(self, "warm_start", _warm_start(self.warm_start))
        whole_number(self.heartbeat_interval, "heartbeat_interval (seconds)", SettingsError, 1, _MAX_HEARTBEAT)
        if self.corpus is not None:
            object.__setattr__(self, "corpus", check_corpus_section(self.corpus))
        object.__setattr__(self, "reseeding", _reseeding(self.reseeding))
        if self.mlflow is not None and not isinstance(self.mlflow, str | bool):
            raise SettingsError(
                f"mlflow must be an MLflow tracking URI such as http://host:5000, or true, not {self.mlflow!r}"
            )
        if self.wandb is not None and not isinstance(self.wandb, str | bool):
            raise SettingsError(f"wandb must be a W&B project name, or true, not {self.wandb!r}")
        if self.tensorboard is not None and not isinstance(self.tensorboard, bool) and str(self.tensorboard):
            _folder(self.tensorboard, "tensorboard")

    def __repr__(self) -> str:
        """The settings, with the storage URL's password hidden (a repr ends up in logs and tracebacks)."""
        shown = (
            f"{f.name}={redact(value)!r}" if f.name == "storage" and isinstance(value, str) else f"{f.name}={value!r}"
            for f in dataclasses.fields(self)
            for value in (getattr(self, f.name),)
        )
        return f"RunSettings({', '.join(shown)})"

    @classmethod
    def names(cls) -> list[str]:
        """The settings' names, which are also the YAML keys that set them."""
        return [field.name for field in dataclasses.fields(cls)]

    def replace(self, **changes: Any) -> RunSettings:
        """These settings with ``changes``, checked again."""
        return dataclasses.replace(self, **changes)

    def stored(self) -> dict[str, Any]:
        """What a worker elsewhere needs (stored with the study): paths made absolute, no storage URL (it may
        hold a password, and the worker was given it), a pruner object as None (it must be given again)."""
        corpus = dict(self.corpus) if self.corpus is not None else None
        if corpus and "folder" in corpus:  # workers elsewhere start in other folders
            corpus["folder"] = str(Path(corpus["folder"]).resolve())
        pruner = "none" if self.pruner is None else self.pruner if isinstance(self.pruner, str) else None
        return {
            "corpus": corpus,
            "base_path": str(self.base_path.resolve()),
            "pruner": pruner,
            "embedding_store": self.embedding_store
            if isinstance(self.embedding_store, bool)
            else str(self.embedding_store),
            "final_model": self.final_model,
            "heartbeat_interval": self.heartbeat_interval,
            "reseeding": self.reseeding.settings(),
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any], **overrides: Any) -> RunSettings:
        """The settings :meth:`stored` wrote, with ``overrides`` (a worker's own base_path, its storage URL)."""
        values = {key: stored[key] for key in ("base_path", "pruner", "embedding_store", "final_model")}
        values.update(heartbeat_interval=stored["heartbeat_interval"], corpus=stored["corpus"])
        values["reseeding"] = stored.get("reseeding")  # absent in studies of earlier versions
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def _reseeding(value: Any) -> Reseeding:
    if value is None:
        return Reseeding(finalists=0)
    if isinstance(value, Reseeding):
        return value
    if isinstance(value, Mapping) and set(value) <= {"finalists", "seeds"}:
        return Reseeding(**value)
    raise SettingsError(
        f"reseeding must be Reseeding(finalists=..., seeds=...), a mapping of those or None, not {value!r}"
    )


#: What ``warm_start`` may be, besides False: earlier studies' best trained first, or TPE's prior.
WARM_STARTS = ("starts", "prior")


def _warm_start(value: Any) -> bool | str:
    """``value`` as False, "starts" (also for True) or "prior"."""
    if value is True:
        return "starts"
    if value is False or (isinstance(value, str) and value in WARM_STARTS):
        return value
    raise SettingsError(
        "warm_start must be true or 'starts' (train earlier studies' best configurations first), 'prior' "
        f"(BayesianSearch learns from their results) or false, not {value!r}"
    )


def _folder(value: Any, name: str) -> None:
    """Refuse a setting that should name a folder (one that may not exist yet)."""
    if not isinstance(value, str | Path) or not str(value):
        raise SettingsError(f"{name} must be True, False or a folder, not {value!r}")
    if Path(value).exists() and not Path(value).is_dir():
        raise SettingsError(f"{name}: {value} is a file; give a folder")
