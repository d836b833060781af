"""Where a study lives: a journal file (``base_path/study.journal``) or any database Optuna's ``RDBStorage``
opens; storage URLs are shown with their password as ``***``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import optuna
from optuna.storages import BaseStorage
from optuna.storages.journal import JournalStorage

from flair_hpo.errors import StorageError
from flair_hpo.study.journal import SafeJournalFileBackend
from flair_hpo.study.resilience import retry, with_retries

JOURNAL_FILE = "study.journal"
HEARTBEAT_INTERVAL = 30
#: Seconds workers starting together may race to create a database's tables.
_CREATE_PATIENCE_S = 20.0


# Secrets are found in the text alone, never by parsing it as a URL (which a malformed URL would fail, and
# which a driver may read differently): user:PASSWORD@ with or without a scheme, spaces before it, hidden up to
# the last '@' (a bad port or an unencoded '@' in the password shows nothing); and password=VALUE in any case,
# in a query string (?password=, which psycopg honours) or a key=value connection string, quoted or not.
_USERINFO = re.compile(
    r"^(?P<head>\s*(?:[A-Za-z][A-Za-z0-9+.-]*://|(?![A-Za-z][A-Za-z0-9+.-]*://))[^:/@\s]*:)(?P<password>.*)@",
    re.DOTALL,
)
_PARAMETER = re.compile(r"(?P<head>passw(?:or)?d\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'?|[^&;\s]*)", re.IGNORECASE)


def redact(url: Any) -> str:
    """``url`` with its passwords replaced by ``***``; read from the text alone, never by parsing the URL."""
    if not isinstance(url, str):
        return repr(url)
    url = _USERINFO.sub(lambda m: f"{m['head']}***@", url, count=1)
    return _PARAMETER.sub(lambda m: f"{m['head']}***", url)


def secrets_of(url: str) -> set[str]:
    """The passwords ``url`` holds, as written, decoded and unquoted."""
    found = [m["password"] for m in _PARAMETER.finditer(url)]
    userinfo = _USERINFO.match(url)
    if userinfo:
        found.append(userinfo["password"])
    secrets = set()
    for secret in found:
        secrets |= {secret, unquote(secret), secret.strip("'"), unquote(secret.strip("'"))}
    return {secret for secret in secrets if secret}


def without_secrets(text: str, url: Any) -> str:
    """``text`` (an error message about ``url``) with the URL's passwords, as written or decoded, hidden."""
    if not isinstance(url, str):
        return text
    for secret in sorted(secrets_of(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def open_storage(
    storage: str | BaseStorage | None,
    base_path: Path,
    heartbeat_interval: int | None = HEARTBEAT_INTERVAL,
    patience: float | None = None,
) -> BaseStorage:
    """The storage a study lives in: ``storage`` if given, else the journal file in ``base_path``.

    ``heartbeat_interval`` (a process that searches): calls ride out outages of up to ``patience`` seconds (by
    default four intervals, 60 s at least); ``None`` opens it for reading. Raises :class:`StorageError`, with the
    password hidden, when it cannot be opened.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if heartbeat_interval is None:
        patience = None
    elif patience is None:
        patience = max(60.0, 4.0 * heartbeat_interval)
    if storage is None:
        path = base_path / JOURNAL_FILE
        if not path.exists() and heartbeat_interval is not None:
            path.touch(mode=0o600)  # the study may hold what the corpus says: readable by its owner only
        # Opened for a search, a torn last record (its writer died) is cut; opened for reading, nothing is
        # written (the reader may not own the folder), and Optuna's reader ignores a torn last line.
        journal = JournalStorage(SafeJournalFileBackend(str(path), repair=heartbeat_interval is not None))
        return journal if patience is None else with_retries(journal, patience, f"in {path}")
    if not isinstance(storage, str) or not storage.strip():
        raise StorageError(f"storage must be an Optuna storage URL such as postgresql://user@host/db, not {storage!r}")
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        database = _rdb_storage(storage)
        return database if patience is None else with_retries(database, patience, redact(storage))
    except ImportError as error:  # Optuna re-raises the driver's ModuleNotFoundError as an ImportError
        missing = getattr(error.__cause__, "name", None) or "its database driver"
        raise StorageError(
            f"the storage {redact(storage)} needs the Python package {missing}: for PostgreSQL, "
            "pip install 'flair-hpo[postgresql]'; for other databases, the driver the URL names"
        ) from None
    except (ArgumentError, NoSuchModuleError) as error:
        raise StorageError(
            f"the storage {redact(storage)} is not a database URL SQLAlchemy knows ({type(error).__name__}); write "
            "e.g. postgresql://user@host:5432/database or sqlite:///path/to/study.db"
        ) from None
    except Exception as error:  # SQLAlchemy's errors for refused connections, wrong passwords, missing databases
        reason = without_secrets(str(error).strip().splitlines()[0] if str(error).strip() else "", storage)
        raise StorageError(
            f"cannot open the storage {redact(storage)}: {type(error).__name__}: {reason} (check the URL, that the "
            "database server runs and accepts this user, e.g. postgresql://user@host:5432/database)"
        ) from None


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage; tried again when workers starting together race to create its tables."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    def racing(error: BaseException) -> bool:
        return isinstance(error, IntegrityError | ProgrammingError)

    open_it = lambda: optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})  # noqa: E731
    return retry(open_it, _CREATE_PATIENCE_S, racing)


def study_exists(storage: BaseStorage, study_name: str) -> bool:
    try:
        storage.get_study_id_from_name(study_name)
    except KeyError:
        return False
    return True
