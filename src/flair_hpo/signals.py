"""Stopping a search by signal: Ctrl-C and SIGTERM both queue the trial in training again and exit with 130 or
143. Why: SIGTERM would otherwise leave its trial "running" until other workers take it for dead."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from flair_hpo.errors import Terminated


def stop_reason(stop: KeyboardInterrupt) -> str:
    """How a stop is said in the study and the log: ``"stopped by SIGTERM"`` or ``"interrupted by the user"``."""
    return "stopped by SIGTERM" if isinstance(stop, Terminated) else "interrupted by the user"


#: Whether SIGTERM came while :func:`sigterm_stops_search` handles it: its exception may have been dropped.
_asked = threading.Event()


def _raise_terminated(signum: int, frame: Any) -> None:
    _asked.set()
    raise Terminated()


def raise_if_stopped() -> None:
    """Raise :class:`Terminated` if SIGTERM came and its exception did not stop the search (Python drops an
    exception raised in a ``__del__`` or a garbage collector's callback)."""
    if _asked.is_set():
        raise Terminated()


def _ours(signum: int) -> bool:
    """Whether this process may handle ``signum`` (the application did not install a handler of its own)."""
    handler = signal.getsignal(signum)
    if signum == signal.SIGINT:
        return handler is signal.default_int_handler
    return handler in (signal.SIG_DFL, _raise_terminated)


@contextlib.contextmanager
def sigterm_stops_search() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt), as SIGINT raises
    KeyboardInterrupt; only in the main thread, and only where the application handles SIGTERM not itself."""
    if threading.current_thread() is not threading.main_thread() or not _ours(signal.SIGTERM):
        yield
        return
    _asked.clear()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _asked.clear()


@contextlib.contextmanager
def stops_reach_caller() -> Iterator[None]:
    """Re-raise a Ctrl-C or SIGTERM that Flair's trainer caught: it ends training early and returns as if done,
    but a person (or a scheduler) stopping a search means to stop it, not to finish this trial."""
    signums = [s for s in (signal.SIGINT, signal.SIGTERM) if _ours(s)]
    if threading.current_thread() is not threading.main_thread() or not signums:
        yield
        return
    stopped: list[KeyboardInterrupt] = []

    def on_signal(signum: int, frame: Any) -> None:
        stopped.append(Terminated() if signum == signal.SIGTERM else KeyboardInterrupt())
        raise stopped[-1]

    previous = {signum: signal.signal(signum, on_signal) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopped:
        raise stopped[0]
