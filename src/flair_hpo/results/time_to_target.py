"""Did the strategy earn its keep? The best dev value against summed training time, beside random search's,
estimated by bootstrap from the study's own complete trials (which favours random search a little)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from flair_hpo.records import History, TrialRecord, TrialStatus

_DRAWS = 200


@dataclass
class TimeToTarget:
    """The study's best-so-far curve and random search's median and 10th-90th percentiles at the same times."""

    seconds: list[float]
    best: list[float]
    random_median: list[float | None]
    random_low: list[float | None]
    random_high: list[float | None]
    target: float
    seconds_to_target: float
    random_share_at_target: float

    def summary(self, objective: str) -> str:
        """One sentence a person reads."""
        return (
            f"This search reached its best {objective} ({self.target:.4f}) after {self.seconds_to_target:.0f} s "
            f"of training; random search, drawn {_DRAWS} times from this study's complete trials, had reached it "
            f"by then in {self.random_share_at_target:.0%} of the draws."
        )


def time_to_target(history: History, seed: int = 0) -> TimeToTarget | None:
    """The comparison, or None when fewer than two complete trials have their seconds recorded."""
    timed = [r for r in history.records if r.status.scored and r.duration_s is not None]
    complete = [r for r in history.scored() if r.status is TrialStatus.COMPLETE and r.duration_s is not None]
    if len(complete) < 2:
        return None
    better = min if history.minimize else max
    seconds, best, elapsed, so_far = [], [], 0.0, None
    for record in sorted(timed, key=lambda r: (r.started is None, r.started, r.number)):
        elapsed += record.duration_s
        if record.status is TrialStatus.COMPLETE and record.fraction >= 1.0:
            so_far = record.value if so_far is None else better(so_far, record.value)
        if so_far is not None:
            seconds.append(elapsed)
            best.append(so_far)
    target = best[-1]
    reached = seconds[next(i for i, value in enumerate(best) if value == target)]
    draws = [_random_curve(complete, seconds, better, random.Random(seed + i)) for i in range(_DRAWS)]
    columns = list(zip(*draws, strict=True))
    hit = sum(_reaches(curve[seconds.index(reached)], target, history.minimize) for curve in draws) / _DRAWS
    return TimeToTarget(
        seconds,
        best,
        [_quantile(column, 0.5, history.minimize) for column in columns],
        [_quantile(column, 0.1, history.minimize) for column in columns],
        [_quantile(column, 0.9, history.minimize) for column in columns],
        target,
        reached,
        hit,
    )


def _random_curve(
    trials: list[TrialRecord], at: list[float], better: Callable[[float, float], float], rng: random.Random
) -> list[float | None]:
    order = rng.sample(trials, len(trials))
    curve, elapsed, so_far, index = [], 0.0, None, 0
    for moment in at:
        while index < len(order) and elapsed + order[index].duration_s <= moment:
            elapsed += order[index].duration_s
            value = order[index].value
            so_far = value if so_far is None else better(so_far, value)
            index += 1
        curve.append(so_far)
    return curve


def _reaches(value: float | None, target: float, minimize: bool) -> bool:
    return value is not None and (value <= target if minimize else value >= target)


def _quantile(values: tuple[float | None, ...], q: float, minimize: bool) -> float | None:
    """The ``q`` quantile of the draws' best values (a draw without a finished trial yet counts as the worst);
    None when that quantile is such a draw."""
    worst = math.inf if minimize else -math.inf
    ordered = sorted(worst if value is None else value for value in values)
    value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return None if math.isinf(value) else value
