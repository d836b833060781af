"""What a person sees while a search runs: flair-hpo's progress lines on the console (unless the application
configured logging itself), Flair's and Optuna's own output quieted, and a copy in ``base_path/flair-hpo.log``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import optuna

from flair_hpo.flair_internals import progress_bars_off

log = logging.getLogger("flair_hpo")

LOG_FILE = "flair-hpo.log"


@contextlib.contextmanager
def search_console() -> Iterator[None]:
    """Show flair-hpo's progress lines only, while a search runs.

    flair-hpo is a library, so importing it configures no logging. During a search its progress lines go
    to stdout when nothing else would show them (no handler on the ``flair_hpo`` logger or its parents);
    Flair's console log, its progress bars and Optuna's messages are quieted (each trial's ``training.log``
    keeps Flair's full log).
    """
    added = None
    if not log.hasHandlers():
        added = logging.StreamHandler(sys.stdout)
        added.setFormatter(logging.Formatter("%(asctime)s flair-hpo %(message)s"))
        added.setLevel(logging.INFO)  # tracebacks (debug) go to the log file only
        log.addHandler(added)
    level = log.level
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    flair_console = [h for h in logging.getLogger("flair").handlers if not isinstance(h, logging.FileHandler)]
    levels = [h.level for h in flair_console]
    optuna_verbosity = optuna.logging.get_verbosity()
    # A trial's training.log on a full disk: the trial fails with the disk's error, not pages of "Logging error".
    raise_exceptions, logging.raiseExceptions = logging.raiseExceptions, False
    for h in flair_console:
        h.setLevel(logging.WARNING)
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        with warnings.catch_warnings(), progress_bars_off():
            warnings.filterwarnings("ignore", message=".*GradScaler.*", category=FutureWarning)
            yield
    finally:
        for h, handler_level in zip(flair_console, levels, strict=True):
            h.setLevel(handler_level)
        optuna.logging.set_verbosity(optuna_verbosity)
        logging.raiseExceptions = raise_exceptions
        log.setLevel(level)
        if added is not None:
            log.removeHandler(added)


class _LogFile(logging.FileHandler):
    """``flair-hpo.log``. When it cannot be written (a full disk), the copy stops, said once on stderr, rather
    than print a traceback at every line or hide the error that stops the search."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.broken:
            self.broken = True
            error = sys.exc_info()[1]
            print(f"flair-hpo: {self.baseFilename} cannot be written any more ({error}); it stops", file=sys.stderr)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            super().close()


@contextlib.contextmanager
def log_file(base_path: Path) -> Iterator[None]:
    """Copy flair-hpo's log lines, tracebacks of failed trials included, to ``base_path/flair-hpo.log``."""
    handler = _LogFile(base_path / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    level = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        handler.close()
