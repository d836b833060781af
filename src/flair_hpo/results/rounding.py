"""Numbers of a leaderboard for people, to the digits the noise allows (docs/report.md); the files keep four
decimals, and the study every digit.

Example::

    digits = score_decimals(0.85, dev_size=500)   # 3
    shown(0.84734, "dev micro_f1_score", digits)   # '0.847'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

#: Decimals of a score when the dev split's size is not known (a study of an earlier version).
UNKNOWN_NOISE_DECIMALS = 4
#: Significant digits of a dev loss and of a parameter drawn from a range.
SIGNIFICANT = 3
#: The leaderboard's columns that are not dev scores (a score column is named after the metric).
_OTHER_NUMBERS = {"rank", "trial", "seed", "seeds", "epochs", "best epoch", "share"}


def score_decimals(best: float | None, dev_size: int | None, seed_sds: Iterable[float] = ()) -> int:
    """The decimals a dev score is shown with: one below the first digit of its noise (docs/report.md)."""
    if best is None or not dev_size or dev_size < 1:
        return UNKNOWN_NOISE_DECIMALS
    p = min(max(best, 1 / dev_size), 1 - 1 / dev_size) if dev_size > 1 else 0.5
    noise = math.sqrt(p * (1 - p) / dev_size)
    sds = sorted(sd for sd in seed_sds if sd > 0)
    if sds:
        noise = max(noise, sds[len(sds) // 2])
    return max(1, 1 - math.floor(math.log10(noise)))


def is_score(column: str) -> bool:
    """Whether a leaderboard column holds dev scores: the metric's, the mean and sd over seeds."""
    return column in ("mean", "sd") or (column.startswith("dev ") and column != "dev loss")


def shown(value: Any, column: str, decimals: int) -> str:
    """``value`` of the leaderboard's ``column`` as people read it (``decimals``: of the dev scores)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if column == "seconds":
        return f"{value:.0f}"
    if is_score(column):
        return f"{value:.{decimals}f}"
    if isinstance(value, int) or column in _OTHER_NUMBERS:
        return str(value)
    return f"{value:.{SIGNIFICANT}g}"
