"""Earlier studies' results as prior observations for a model-based strategy (rank-normalised, weighted down).

Why ranks: dev values of different corpora are not comparable (an F1 of 0.45 may be the best on one corpus
and the worst on another); the order of an earlier study's configurations is what carries over. So the
configuration at rank ``i`` of ``n`` in an earlier study gets the quantile ``1 - i / (n - 1)`` (its best 1,
its last 0), and that quantile becomes a value on the new study's own scale: the same quantile of the
values the new study has scored so far (before it has any, the quantile itself).

Why weighted down: an earlier corpus only hints at what works on this one, so its observations are few
(at most :data:`PRIOR_POINTS` of each earlier study, evenly spread over its ranking) and are outnumbered as
soon as the study has scored as many configurations itself; a configuration the study has scored itself
counts only with its own value.

Example::

    >>> observations = prior_observations([[{"lr": "0.1"}, {"lr": "1.0"}]], own=[0.5, 0.7], minimize=False)
    >>> [(labels["lr"], round(value, 2)) for labels, value in observations]
    [('0.1', 0.7), ('1.0', 0.5)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flair_hpo.checks import is_real_number
from flair_hpo.errors import StrategyError
from flair_hpo.space import Label, SearchSpace, configuration_key
from flair_hpo.space.dimensions import Choice, Range

#: At most this many observations are taken from each earlier study's ranking.
PRIOR_POINTS = 5

Ranking = Sequence[Mapping[str, Label]]


def prior_observations(
    rankings: Sequence[Ranking],
    own: Sequence[float],
    minimize: bool,
    exclude: set[str] | frozenset[str] = frozenset(),
    points: int = PRIOR_POINTS,
) -> list[tuple[dict[str, Label], float]]:
    """The prior observations (configuration, value) from earlier ``rankings`` (each best first), on the scale
    of the study's ``own`` scored values; configurations whose key is in ``exclude`` (scored by the study
    itself) and repeats are left out."""
    observations: dict[str, tuple[dict[str, Label], float]] = {}
    for ranking in rankings:
        fresh = [dict(labels) for labels in ranking if configuration_key(dict(labels)) not in exclude]
        for index in _spread(len(fresh), points):
            quantile = 1.0 - index / (len(fresh) - 1) if len(fresh) > 1 else 1.0
            key = configuration_key(fresh[index])
            observations.setdefault(key, (fresh[index], _on_own_scale(quantile, own, minimize)))
    return list(observations.values())


def check_rankings(space: SearchSpace, rankings: Sequence[Ranking]) -> None:
    """Refuse a prior configuration that is not one of ``space``'s (a parameter it does not tune, a value it
    does not offer), naming it, before anything is proposed."""
    dimensions = {dimension.name: dimension for dimension in space.dimensions}
    for ranking in rankings:
        for labels in ranking:
            for name, label in labels.items():
                dimension = dimensions.get(name)
                if isinstance(dimension, Range):
                    fits = is_real_number(label) and dimension.low <= float(label) <= dimension.high
                else:
                    fits = isinstance(dimension, Choice) and label in dimension.labels
                if not fits:
                    raise StrategyError(
                        f"a prior configuration gives {name}={label!r}, which the search space does not "
                        f"{'offer' if dimension else 'tune'}; move earlier configurations onto the space with "
                        "flair_hpo.search.earlier.prior_rankings"
                    )


def _spread(length: int, points: int) -> list[int]:
    """``points`` indices spread evenly over ``range(length)``, the first and last included."""
    if length <= points:
        return list(range(length))
    return sorted({round(i * (length - 1) / (points - 1)) for i in range(points)})


def _on_own_scale(quantile: float, own: Sequence[float], minimize: bool) -> float:
    """The value at ``quantile`` of goodness among ``own`` values (linear between them); without own values,
    the quantile itself (negated when smaller is better)."""
    if not own:
        return -quantile if minimize else quantile
    ordered = sorted(own, reverse=minimize)  # worst first
    position = quantile * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
