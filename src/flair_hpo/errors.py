"""The errors flair-hpo reports for bad input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(ValueError):
    """Input flair-hpo cannot work with, reported before anything is trained or written.

    The message says what is wrong and what to do; the command line prints it without a traceback.
    """


class ConfigError(InputError):
    """A run configuration that cannot be used; the message names the file and the key."""


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
