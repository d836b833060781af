"""Values as people read them in progress lines, the live status and summaries (the stored files keep every
digit): ``learning_rate=3e-05``, not ``3.0000000000000004e-05``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flair_hpo.space import Label


def readable(value: object) -> str:
    """A value as people read it: floats to four significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def labels_text(labels: dict[str, Label], leave_out: Collection[str] = ()) -> str:
    """A configuration's labels in one line, without the parameters in ``leave_out`` (said once)."""
    return ", ".join(f"{name}={readable(value)}" for name, value in labels.items() if name not in leave_out)


def fixed_labels(search_space: dict[str, Any]) -> dict[str, Label]:
    """The parameters of a stored search space that have one option only, so people are told them once."""
    dimensions = [d for d in search_space.get("dimensions", []) if isinstance(d.get("labels"), list)]
    return {d["name"]: d["labels"][0] for d in dimensions if len(d["labels"]) == 1}


def clock_text(seconds: float) -> str:
    """``1:02:03`` for people (never below zero)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
