"""What a person sees while a search runs: a live status on a terminal, plain progress lines elsewhere, other
libraries' output quieted, a copy in ``base_path/flair-hpo.log``."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from rich.console import Console
from rich.text import Text

from flair_hpo.orchestration.live import LiveStatus
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.results.events import SearchListener
from flair_hpo.training.flair_console import flair_console_quieted
from flair_hpo.training.scoring import Objective

log = logging.getLogger("flair_hpo")

LOG_FILE = "flair-hpo.log"
_LINE_FORMAT = "%(asctime)s flair-hpo %(message)s"


@dataclass
class SearchConsole:
    """How the search is shown: ``terminal`` for the live status (None: lines only); ``quiet``: per trial."""

    terminal: Console | None
    quiet: bool
    _live: list[LiveStatus] = field(default_factory=list)

    def listeners(self, objective: Objective, max_epochs: int) -> list[SearchListener]:
        """The listeners that show the search: its progress lines, and the live status on a terminal."""
        lines = ProgressDisplay(objective.name, max_epochs, epochs_shown=self.terminal is None and not self.quiet)
        if self.terminal is None:
            return [lines]
        self._live.append(LiveStatus(self.terminal, objective, max_epochs))
        return [lines, *self._live[-1:]]

    def close(self) -> None:
        for status in self._live:
            status.stop()


class _TerminalLines(logging.Handler):
    """Log lines printed through the live status's console, so that they go above it, not through it."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # Wrapped by rich between words, to the terminal's width (the terminal would cut words).
            self.console.print(Text(self.format(record)))
        except Exception:
            self.handleError(record)


def on_a_terminal() -> bool:
    """Whether stdout is a terminal that can draw (not a pipe, a file, or a dumb terminal)."""
    return sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"


@contextlib.contextmanager
def search_console(*, quiet: bool = False, live: bool = True) -> Iterator[SearchConsole]:
    """Show flair-hpo's progress only, while a search runs: on stdout when no handler of the application would
    show it; Flair's and Optuna's console output quieted."""
    added = None
    shown = SearchConsole(None, quiet)
    if not log.hasHandlers():
        if live and not quiet and on_a_terminal():
            shown.terminal = Console()
            added = _TerminalLines(shown.terminal)
        else:
            added = logging.StreamHandler(sys.stdout)
        added.setFormatter(logging.Formatter(_LINE_FORMAT, datefmt="%H:%M:%S" if shown.terminal else None))
        added.setLevel(logging.INFO)  # tracebacks (debug) go to the log file only
        log.addHandler(added)
    level = log.level
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    optuna_verbosity = optuna.logging.get_verbosity()
    # A trial's training.log on a full disk: the trial fails with the disk's error, not pages of "Logging error".
    raise_exceptions, logging.raiseExceptions = logging.raiseExceptions, False
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        with warnings.catch_warnings(), flair_console_quieted():
            # Optuna's notes on its own internals (experimental features, PED-ANOVA's regimes): nothing to act on.
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"optuna(\.|$)")
            yield shown
    finally:
        shown.close()
        optuna.logging.set_verbosity(optuna_verbosity)
        logging.raiseExceptions = raise_exceptions
        log.setLevel(level)
        if added is not None:
            log.removeHandler(added)


class _LogFile(logging.FileHandler):
    """``flair-hpo.log``; when it cannot be written, the copy stops, said once on stderr."""

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
