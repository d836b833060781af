"""The options' order of a scenario's space: as its table lists them, or rotated so that each one's centre moves.

Several public optimizers start from the centre of the space (Syne Tune's searchers evaluate the middle option
of every ordinal first, SMAC3 the first option of every categorical), and a grid drawn around the good values
makes that start look better than it is. Replaying every table also with each dimension's options rotated by
half their number (``[a, b, c, d] -> [c, d, a, b]``: the middle option becomes what was first, the first what
was in the middle) shows what such a start is worth when the grid is not centred on the answer. The table's
rows are keyed by configuration, not position: only the order a strategy sees changes.
"""

from __future__ import annotations

from typing import Any

from flair_hpo.space import SearchSpace, space_from_dict

#: The orders every table is replayed in.
ORDERS = ("table", "rotated")


def rotate(options: list[Any]) -> list[Any]:
    """``options`` rotated by half their number, rounded up: the middle one becomes the first one's."""
    shift = len(options) - len(options) // 2
    return options[shift:] + options[:shift]


def in_order(space: SearchSpace, order: str) -> SearchSpace:
    """``space`` with its options in ``order`` (one of :data:`ORDERS`)."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}: one of {', '.join(ORDERS)}")
    if order == "table":
        return space
    data = space.to_dict()
    for dimension in data["dimensions"]:
        if dimension["kind"] == "choice":
            dimension["labels"], dimension["values"] = rotate(dimension["labels"]), rotate(dimension["values"])
    return space_from_dict(data)
