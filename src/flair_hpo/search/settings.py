"""The settings of a run, checked once: where results go, where the study lives, and how trials are run.

:class:`RunSettings` is what :class:`~flair_hpo.orchestration.search_run.Orchestrator` takes besides the
corpus, the search space and the strategy; ``flair-hpo run`` maps the YAML keys of the same names onto it,
and the part a worker elsewhere needs is stored with the study (:meth:`RunSettings.stored`), so that
``flair-hpo worker`` rebuilds the same run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.pruners import BasePruner
from optuna.storages import BaseStorage

from flair_hpo.checks import flag, whole_number
from flair_hpo.errors import SettingsError, did_you_mean
from flair_hpo.policies import Reseeding
from flair_hpo.study.storages import HEARTBEAT_INTERVAL, redact
from flair_hpo.training.corpus_reference import check_corpus_section
from flair_hpo.training.pruning import check_pruner

#: Seconds a heartbeat interval, or the storage's patience, may be at most (a day): a dead worker's trial
#: waits three intervals, and a storage call that long is no longer riding out an outage.
_MAX_SECONDS = 86_400


def _setting(default: Any, described: str, **flag: Any) -> Any:
    """A field of :class:`RunSettings`: its default, what its YAML key takes (``described``), and, where
    ``flag`` is given, the command-line flag that sets it (argparse's keywords, which
    :mod:`flair_hpo.cli.setting_flags` passes on)."""
    return field(default=default, metadata={"described": described, "flag": flag or None})


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
        storage_patience: seconds each call to the study's storage is retried while the storage does not answer
            (then the trial is interrupted as the machine's fault, see :mod:`flair_hpo.study.resilience`); None
            waits four heartbeat intervals, 60 s at least.
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
        warm_start: first train the best configurations of earlier studies of the same task on this machine
            (:mod:`flair_hpo.search.earlier`).

    Each field also names its YAML key and says what it takes there; a field with a flag is also set on the
    command line (``--final-model``): a new setting is added here, once.
    """

    base_path: Path = _setting(
        None, "the folder for results", help="the folder for results (default with a recipe: hyperopt/CORPUS-RECIPE...)"
    )
    storage: str | BaseStorage | None = _setting(None, "an Optuna storage URL (optional)")
    study_name: str | None = _setting(
        None,
        "the study's name in the storage (optional)",
        help="the study's name, which its MLflow experiment and parent run take (default: base_path's folder name)",
    )
    pruner: str | BasePruner | None = _setting("auto", "auto, successive_halving, hyperband, median or none (optional)")
    embedding_store: bool | str | Path = _setting(
        True, "true (the machine's cache), false, or a folder: compute frozen embeddings once (optional)"
    )
    final_model: bool = _setting(
        False,
        "true: after the search, train the best configuration on train + dev (optional)",
        help="after the search, train the best configuration on train + dev",
        action="store_true",
    )
    heartbeat_interval: int = _setting(
        HEARTBEAT_INTERVAL, "seconds between a running trial's heartbeats (optional, default 30)"
    )
    storage_patience: int | None = _setting(
        None, "seconds a storage call is retried while it does not answer (optional; default 4 heartbeats, 60 at least)"
    )
    corpus: Mapping[str, Any] | None = _setting(None, "the corpus: a Flair dataset or a folder")
    reseeding: Reseeding | Mapping[str, Any] | None = _setting(
        None, "{finalists: N, seeds: S}: train the N best configurations with S seeds in all at the end (optional)"
    )
    mlflow: str | bool | None = _setting(
        None,
        "an MLflow tracking URI, or true for MLflow's default: log the search there (optional)",
        help="log the search to MLflow: one parent run per study, a nested run per trial (without URI: "
        "$MLFLOW_TRACKING_URI or MLflow's default)",
        nargs="?",
        const=True,
        metavar="URI",
    )
    tensorboard: str | Path | bool | None = _setting(
        None,
        "a folder, or true for base_path/tensorboard: TensorBoard event files of every trial (optional)",
        help="write TensorBoard event files, one run folder per trial with its hyper-parameters (without DIR: "
        "BASE_PATH/tensorboard)",
        nargs="?",
        const=True,
        metavar="DIR",
    )
    wandb: str | bool | None = _setting(
        None,
        "a W&B project, or true for flair-hpo: each trial as a W&B run, offline unless WANDB_MODE (optional)",
        help="log each trial as a Weights & Biases run, grouped by study, under BASE_PATH/wandb (offline unless "
        "WANDB_MODE says otherwise; without PROJECT: flair-hpo)",
        nargs="?",
        const=True,
        metavar="PROJECT",
    )
    warm_start: bool = _setting(
        False,
        "true: first train the best configurations of earlier studies of the same task on this machine (optional)",
        help="first train the best configurations of earlier studies of the same task on this machine",
        action="store_true",
    )

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
        _warm_start(self.warm_start)
        whole_number(self.heartbeat_interval, "heartbeat_interval (seconds)", SettingsError, 1, _MAX_SECONDS)
        if self.storage_patience is not None:
            whole_number(self.storage_patience, "storage_patience (seconds)", SettingsError, 1, _MAX_SECONDS)
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

    @classmethod
    def described(cls) -> dict[str, str]:
        """Each setting's YAML key and what it takes there."""
        return {field.name: field.metadata["described"] for field in dataclasses.fields(cls)}

    @classmethod
    def flags(cls) -> dict[str, dict[str, Any]]:
        """The settings that a command-line flag sets, with the flag's argparse keywords."""
        return {field.name: dict(field.metadata["flag"]) for field in dataclasses.fields(cls) if field.metadata["flag"]}

    @classmethod
    def of(cls, settings: RunSettings | None = None, **named: Any) -> RunSettings:
        """``settings`` (or the defaults) with the settings ``named``; a name that is no setting is refused."""
        unknown = [name for name in named if name not in cls.names()]
        if unknown:
            name = unknown[0]
            raise SettingsError(
                f"{name!r} is not a run setting{did_you_mean(name, cls.names())} (settings: {', '.join(cls.names())})"
            )
        return cls(**named) if settings is None else settings.replace(**named)

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
            "storage_patience": self.storage_patience,
            "reseeding": self.reseeding.settings(),
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any], **overrides: Any) -> RunSettings:
        """The settings :meth:`stored` wrote, with ``overrides`` (a worker's own base_path, its storage URL)."""
        values = {key: stored[key] for key in ("base_path", "pruner", "embedding_store", "final_model")}
        values.update(heartbeat_interval=stored["heartbeat_interval"], corpus=stored["corpus"])
        # Absent in studies of earlier versions:
        values.update(reseeding=stored.get("reseeding"), storage_patience=stored.get("storage_patience"))
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


def _warm_start(value: Any) -> None:
    if value == "prior":  # removed: measured no gain held out (docs/search-quality.md)
        raise SettingsError(
            "warm_start: 'prior' is no longer offered (it gained nowhere on held-out corpora); use true"
        )
    flag(value, "warm_start", SettingsError)


def _folder(value: Any, name: str) -> None:
    """Refuse a setting that should name a folder (one that may not exist yet)."""
    if not isinstance(value, str | Path) or not str(value):
        raise SettingsError(f"{name} must be True, False or a folder, not {value!r}")
    if Path(value).exists() and not Path(value).is_dir():
        raise SettingsError(f"{name}: {value} is a file; give a folder")
