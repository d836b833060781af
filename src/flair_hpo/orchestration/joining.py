"""Workers that join a study from anywhere: everything they need is read from the study itself.

On machine A, create the study and wait for the workers (or train too, with ``--workers 1``)::

    flair-hpo run trec6.yaml --workers 0          # trec6.yaml has storage: postgresql://flair@db-host/hpo

On machines B, C, ...::

    flair-hpo worker --storage postgresql://flair@db-host/hpo --study trec6

or, in Python::

    from flair_hpo.orchestration.joining import join_study
    join_study("postgresql://flair@db-host/hpo", "trec6").work()

A worker checks the stored search space with what this machine allows before anything is built
(docs/many-machines.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flair_hpo.errors import InputError, UntrustedInputError
from flair_hpo.orchestration.search_run import Orchestrator
from flair_hpo.records import keys
from flair_hpo.search.settings import RunSettings
from flair_hpo.space.trust import allow, machine_allowance
from flair_hpo.strategies import strategy_from_settings
from flair_hpo.study import JOURNAL_FILE, open_storage, redact, study_exists, study_name_for
from flair_hpo.study.trial_store import stored_space
from flair_hpo.training.embedding_store import cache_directory

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler
    from optuna.storages import BaseStorage


def join_study(
    storage: str | None = None,
    study_name: str | None = None,
    *,
    base_path: str | Path | None = None,
    corpus: Any = None,
    pruner: Any = None,
    strategy: BaseSampler | None = None,
    wait_s: float = 0,
    allow_paths: Iterable[str | Path] = (),
    trust_remote_code: bool = False,
    **trackers: Any,
) -> Orchestrator:
    """The orchestrator of an existing study, rebuilt from what the study stores; call ``.work()`` on it.

    Args:
        storage: the study's Optuna storage URL (``postgresql://user@host/db``, ``sqlite:///path``); None for
            the journal file in ``base_path``.
        study_name: None: the one named after base_path's folder, or the only one there.
        corpus: needed only when the study was created from a corpus object rather than a reference; it must
            be the same corpus (its fingerprint is checked).
        base_path: a folder on this machine for trial logs and the best model seen here; by default the
            study's base_path.
        pruner: needed only when the study was created with a pruner object.
        strategy: the Optuna sampler, needed only when the study is searched with one.
        wait_s: how long to wait for the study to be created.
        allow_paths: folders of this machine whose files the study may name (besides the caches and
            ``$FLAIR_HPO_ALLOW_PATHS``).
        trust_remote_code: let embeddings run their model's own code, in this process.
        trackers: ``mlflow``, ``tensorboard``, ``wandb``, as :class:`~flair_hpo.search.settings.RunSettings`
            describes.
    """
    if storage is None and base_path is None:
        raise InputError("give the study's storage URL, or the base_path of a study kept in a journal file")
    if storage is not None and not isinstance(storage, str):
        raise InputError(f"a worker joins a study by its storage URL, not {storage!r}")
    if study_name is not None and (not isinstance(study_name, str) or not study_name):
        raise InputError(f"study_name must be a non-empty string, not {study_name!r}")
    where = redact(storage) if storage else Path(base_path) / JOURNAL_FILE
    deadline = time.time() + wait_s
    backend = None
    while True:
        # A journal file is opened once it exists: opening it would create it.
        if backend is None and (storage is not None or (Path(base_path) / JOURNAL_FILE).is_file()):
            backend = open_storage(storage, Path(base_path or "."), heartbeat_interval=None)
        name = study_name or _named(backend, Path(base_path or "."))
        attributes = _flair_hpo_attributes(backend, name) if backend is not None and name else None
        if attributes is not None:
            study_name = name
            break
        if time.time() >= deadline:
            wait = "create it first (flair-hpo run), or let the worker wait for it (--wait SECONDS)"
            if name is None:  # which searches there are, or that there is none
                try:
                    study_name_for(backend, Path(base_path or "."), reading=True)
                except InputError as error:
                    raise InputError(f"{error}; {wait}") from None
            raise InputError(f"there is no flair-hpo study {name!r} in {where}; {wait}")
        time.sleep(1)
    stored_space(attributes[keys.SEARCH_SPACE], study_name)  # one that this version can read at all, first
    settings = attributes[keys.RUN]
    if settings["corpus"] is None and corpus is None:
        raise InputError(
            f"the study {study_name!r} was created in Python from a corpus object, which is not stored: join it "
            "with join_study(storage, study_name, corpus=...) giving the same corpus, or create the study with a "
            "corpus reference such as {'dataset': 'TREC_6'}"
        )
    if settings["pruner"] is None and pruner is None:
        raise InputError(
            f"the study {study_name!r} was created with a pruner object, which is not stored: join it with "
            "join_study(storage, study_name, pruner=...) giving the same pruner"
        )
    if trust_remote_code:
        allow(trust_remote_code=True)  # the trials of this process build the embeddings
    allowed = machine_allowance(cache_directory()).widened(
        [allow_paths] if isinstance(allow_paths, str | Path) else allow_paths
    )
    try:
        space = stored_space(attributes[keys.SEARCH_SPACE], study_name, allowed)
    except UntrustedInputError as error:
        raise UntrustedInputError(f"the study {study_name!r} is not joined: {error}") from None
    sampler = strategy_from_settings(attributes[keys.STRATEGY], strategy)
    sampler.make_configurations(space)
    given = {"base_path": base_path, "storage": storage, "study_name": study_name, "pruner": pruner}
    run = RunSettings.from_stored(settings, **given, **_trackers(trackers))
    return Orchestrator(corpus, search_space=space, search_strategy=sampler, settings=run)


def _trackers(given: dict[str, Any]) -> dict[str, Any]:
    """The trackers a worker logs to; any other setting is the study's own."""
    other = sorted(set(given) - {"mlflow", "tensorboard", "wandb"})
    if other:
        raise InputError(f"a worker sets only mlflow, tensorboard and wandb for itself, not {', '.join(other)}")
    return given


def _named(backend: BaseStorage | None, base_path: Path) -> str | None:
    """The study a worker given no name joins, once there is one to join."""
    try:
        return None if backend is None else study_name_for(backend, base_path, reading=True)
    except InputError:
        return None


def _flair_hpo_attributes(backend: BaseStorage, study_name: str) -> dict[str, Any] | None:
    """The study's attributes once its creator has stored the run settings; None before."""
    if not study_exists(backend, study_name):
        return None
    attributes = backend.get_study_system_attrs(backend.get_study_id_from_name(study_name))
    return attributes if keys.SEARCH_SPACE in attributes and keys.RUN in attributes else None
