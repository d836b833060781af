"""The values the command line takes, each checked by argparse with a message that says what it expects."""

from __future__ import annotations

import argparse
import math


def count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number (0, 1, 2, ...), not {text!r}")
    return int(text)


def worker_count(text: str) -> int | str:
    """A number of workers, or ``auto``: as many as is measured to be faster."""
    if text == "auto":
        return text
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number (0, 1, 2, ...) or auto, not {text!r}")
    return int(text)


def positive_count(text: str) -> int:
    """A whole number from 1: a count that 0 would only make look like the default."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 (1, 2, 3, ...), not {text!r}")
    return int(text)


def hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of hours above 0 (e.g. 1.5), not {text!r}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a fraction above 0 and up to 1 (e.g. 0.1), not {text!r}")
    return value
