"""Learning curves: the train loss, dev loss and dev score after every epoch of the best trials, read from
Flair's ``loss.tsv`` in each trial's folder (micro averages; trials of other machines are left out)."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flair_hpo.files import TRIALS_DIR
from flair_hpo.records import TrialRecord
from flair_hpo.space.parameter_enums import EvaluationMetric

log = logging.getLogger("flair_hpo")

LOSS_FILE = "loss.tsv"
#: How many of the best trials are drawn: more lines than this are a tangle.
BEST_TRIALS = 5


@dataclass
class LearningCurve:
    """One trial's ``loss.tsv``: a value per epoch for each column read (None where the file had none)."""

    trial: int
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float | None] = field(default_factory=list)
    dev_loss: list[float | None] = field(default_factory=list)
    dev_score: list[float | None] = field(default_factory=list)


def score_column(metric: EvaluationMetric) -> str:
    """The ``loss.tsv`` column closest to the search's metric (the file has micro averages only)."""
    return "DEV_ACCURACY" if metric is EvaluationMetric.MICRO_ACCURACY else "DEV_F1"


def read_loss_file(path: Path, trial: int, score: str = "DEV_F1") -> LearningCurve | None:
    """The curve in a ``loss.tsv``, or None when there is none (no file, no epoch yet, not Flair's format)."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file, delimiter="\t"))
    except OSError:
        return None
    if not rows:
        return None  # no epoch finished: Flair writes the header with the first epoch's line
    if "EPOCH" not in rows[0]:
        log.info("%s is not a Flair loss file (no EPOCH column); its learning curve is left out", path)
        return None
    curve = LearningCurve(trial)
    for row in rows:
        try:
            curve.epochs.append(int(row["EPOCH"]))
        except (TypeError, ValueError):
            continue  # a line cut short by a killed trial
        curve.train_loss.append(_number(row.get("TRAIN_LOSS")))
        curve.dev_loss.append(_number(row.get("DEV_LOSS")))
        curve.dev_score.append(_number(row.get(score)))
    return curve if curve.epochs else None


def best_curves(
    base_path: Path, ranked: list[TrialRecord], metric: EvaluationMetric, limit: int = BEST_TRIALS
) -> list[LearningCurve]:
    """The curves of the first ``limit`` trials of ``ranked`` (best first) that have a ``loss.tsv`` here."""
    curves = []
    for record in ranked:
        path = base_path / TRIALS_DIR / f"trial-{record.number:04d}" / LOSS_FILE
        curve = read_loss_file(path, record.number, score_column(metric))
        if curve is not None:
            curves.append(curve)
        if len(curves) == limit:
            break
    return curves


def learning_curves_figure(curves: list[LearningCurve], metric: EvaluationMetric) -> Any:
    """Losses (train solid, dev dashed) beside the dev score, one colour per trial; None without curves."""
    if not curves:
        return None
    import plotly.colors
    from plotly.subplots import make_subplots

    column = score_column(metric)
    score_title = f"dev {column.removeprefix('DEV_').lower()} (micro avg., loss.tsv)"
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss: train (solid), dev (dashed)", score_title))
    colours = plotly.colors.qualitative.Plotly
    for index, curve in enumerate(curves):
        colour = colours[index % len(colours)]
        name = f"trial {curve.trial}" + (" (best)" if index == 0 else "")
        common = {"x": curve.epochs, "legendgroup": name, "mode": "lines+markers", "line_color": colour}
        figure.add_scatter(y=curve.train_loss, name=name, hovertemplate=f"{name}, train loss %{{y}}", **common)
        figure.add_scatter(
            y=curve.dev_loss,
            name=name,
            showlegend=False,
            line_dash="dash",
            hovertemplate=f"{name}, dev loss %{{y}}",
            **common,
        )
        figure.add_scatter(
            y=curve.dev_score,
            name=name,
            showlegend=False,
            hovertemplate=f"{name}, {score_title} %{{y}}",
            col=2,
            row=1,
            **common,
        )
    figure.update_xaxes(title_text="epoch", dtick=1)
    figure.update_layout(legend_title_text="best trials", height=420)
    if metric not in (EvaluationMetric.MICRO_F1_SCORE, EvaluationMetric.MICRO_ACCURACY):
        figure.update_layout(meta=f"The search ranks by {metric.value}; Flair's loss.tsv has micro averages only.")
    return figure


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
