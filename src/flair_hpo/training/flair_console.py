"""Flair's own console output (warnings, progress bars, torch's ``GradScaler`` note) kept off the console while
flair-hpo trains; a training's ``training.log`` keeps everything."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def flair_console_quieted(level: int = logging.WARNING) -> Iterator[None]:
    """Flair's console log at ``level`` and above, and no progress bars, while the block runs."""
    from flair_hpo.flair_internals import progress_bars_off  # loads Flair: only once it is needed

    console = [h for h in logging.getLogger("flair").handlers if not isinstance(h, logging.FileHandler)]
    levels = [h.level for h in console]
    for handler in console:
        handler.setLevel(level)
    try:
        with progress_bars_off(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*GradScaler.*", category=FutureWarning)
            yield
    finally:
        for handler, handler_level in zip(console, levels, strict=True):
            handler.setLevel(handler_level)
