"""The report's plots of a study, as plotly figures (None where the study has too little to show): Optuna's
own where they read well, tidied, and the dev value against each parameter drawn here."""

from __future__ import annotations

import logging
import math
import re
import warnings
from typing import Any

import optuna

from flair_hpo.records import TrialStatus
from flair_hpo.results.report_page import BREAK_POINTS
from flair_hpo.results.study_view import StudyView
from flair_hpo.results.time_to_target import time_to_target

log = logging.getLogger("flair_hpo")

#: Fewer trials than this in a generation make a box of a few points say less than the points themselves.
BOX_MINIMUM = 5
#: Slice plots per row of the grid.
SLICE_COLUMNS = 3


def study_figures(view: StudyView) -> dict[str, Any]:
    """The plots of the page, by element id, in page order."""
    import optuna.visualization as ov

    objective = view.objective.name
    varying = varying_parameters(view.study)
    figures: dict[str, Any] = {
        "history-trials": optuna_plot(ov.plot_optimization_history, view, target_name=objective),
        "timeline": optuna_plot(ov.plot_timeline, view, minimum=1),
        "history-time": _time_to_target(view),
        "epochs": _with_trial_legend(optuna_plot(ov.plot_intermediate_values, view, minimum=1), objective),
        "importances": optuna_plot(ov.plot_param_importances, view, params=varying, target_name=objective)
        if varying
        else None,
        "slices": slice_grid(view, varying),
    }
    population = (view.strategy or {}).get("population_size")
    if population:
        figures["generations"] = generations_figure(view, population)
    return figures


def varying_parameters(study: Any) -> list[str]:
    """The parameters of complete trials that had more than one option (a single option explains nothing)."""
    choices: dict[str, set] = {}
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        for name, distribution in trial.distributions.items():
            options = getattr(distribution, "choices", None)
            choices.setdefault(name, set()).update(options if options is not None else ("range", "of values"))
    return [name for name, options in choices.items() if len(options) > 1]


def wrap_label(text: str, width: int = 16, lines: int = 3) -> str:
    """A long option label on a few short lines (``<br>`` between them), cut with an ellipsis past ``lines``:
    lines break after punctuation and between the words of a class name (``Document|Pool|Embeddings``)."""
    words = [w for part in text.split(" ") for w in BREAK_POINTS.split(part + " ") if w.strip()]
    wrapped: list[str] = []
    for word in words:
        if wrapped and len(wrapped[-1]) + len(word) <= width:
            wrapped[-1] += word
        else:
            wrapped.append(word if len(word) <= width else word[: width - 1] + "…")
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], wrapped[lines - 1][: width - 1] + "…"]
    return "<br>".join(line.strip() for line in wrapped)


def slice_grid(view: StudyView, parameters: list[str]) -> Any:
    """The dev value of every complete trial against each varying parameter, a grid of small plots."""
    from plotly.subplots import make_subplots

    complete = [r for r in view.history.records if r.status is TrialStatus.COMPLETE and r.value is not None]
    if len({r.key for r in complete}) < 2 or not parameters:
        return None
    columns = min(SLICE_COLUMNS, len(parameters))
    rows = math.ceil(len(parameters) / columns)
    figure = make_subplots(
        rows=rows, cols=columns, subplot_titles=parameters, vertical_spacing=0.5 / rows, horizontal_spacing=0.06
    )
    for index, name in enumerate(parameters):
        row, column = divmod(index, columns)
        shown = [r for r in complete if name in r.labels]
        options = list(dict.fromkeys(str(o) for o in _choices(view.study, name)))
        figure.add_scatter(
            x=[wrap_label(str(r.labels[name])) for r in shown],
            y=[r.value for r in shown],
            mode="markers",
            marker={"color": "#1f77b4", "size": 8, "opacity": 0.75},
            customdata=[[r.number, str(r.labels[name])] for r in shown],
            hovertemplate="trial %{customdata[0]}<br>%{customdata[1]}<br>%{y}<extra></extra>",
            showlegend=False,
            row=row + 1,
            col=column + 1,
        )
        figure.update_xaxes(
            type="category",
            categoryorder="array",
            categoryarray=[wrap_label(o) for o in options],
            tickangle=0,
            automargin=True,
            row=row + 1,
            col=column + 1,
        )
    figure.update_yaxes(title_text=view.objective.name, col=1)
    figure.update_annotations(font_size=12)
    figure.update_layout(height=330 * rows, margin={"t": 40, "l": 60, "r": 20})
    return figure


def generations_figure(view: StudyView, population: int) -> Any:
    """The dev values of each generation: boxes when every generation has enough trials, else the points."""
    import plotly.graph_objects as go

    counted = [r for r in view.history.records if r.counts]
    scored = [(index // population, r) for index, r in enumerate(counted) if r.value is not None]
    if not scored:
        return None
    sizes = [sum(1 for g, _ in scored if g == generation) for generation in {g for g, _ in scored}]
    figure = go.Figure()
    points = {
        "x": [g for g, _ in scored],
        "y": [r.value for _, r in scored],
        "customdata": [r.number for _, r in scored],
        "hovertemplate": "generation %{x}, trial %{customdata}: %{y}<extra></extra>",
        "marker_color": "#1f77b4",
        "showlegend": False,
    }
    if min(sizes) >= BOX_MINIMUM:
        figure.add_box(boxpoints="all", **points)
    else:
        figure.add_scatter(mode="markers", marker_size=9, **points)
        figure.update_layout(meta=f"Points, not boxes: a generation has fewer than {BOX_MINIMUM} scored trials.")
    figure.update_layout(xaxis_title="generation", yaxis_title=view.objective.name, xaxis_dtick=1)
    return figure


def _choices(study: Any, name: str) -> tuple:
    for trial in study.get_trials(deepcopy=False):
        if name in trial.distributions:
            return getattr(trial.distributions[name], "choices", ())
    return ()


def _with_trial_legend(figure: Any, objective: str) -> Any:
    """Optuna's per-epoch plot with its trials named in a legend ("trial 3")."""
    if figure is None:
        return None
    for trace in figure.data:
        number = re.sub(r"\D", "", trace.name or "")
        trace.update(name=f"trial {number}", showlegend=True, hovertemplate=f"trial {number}, epoch %{{x}}: %{{y}}")
    figure.update_layout(
        xaxis_title="epoch", yaxis_title=objective, legend_title_text="trial", title=None, showlegend=True
    )
    figure.update_xaxes(dtick=1)
    return figure


def _enough_complete(view: StudyView) -> bool:
    """Whether importances can be estimated: Optuna's need two complete trials that differ."""
    complete = [r for r in view.history.records if r.status is TrialStatus.COMPLETE]
    return len({r.key for r in complete}) >= 2


def optuna_plot(plot: Any, view: StudyView, minimum: int = 2, **arguments: Any) -> Any:
    """An Optuna visualization of the study, or None when the study has too little to show: plots of values
    need ``minimum`` complete trials that differ (Optuna's importances need two)."""
    if minimum > 1 and not _enough_complete(view):
        return None
    if not view.history.records:
        return None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figure = plot(view.study, **arguments)
    except (ValueError, RuntimeError) as error:  # e.g. every parameter had a single value
        log.info("the %s plot is left out: %s", plot.__name__, error)
        return None
    # Optuna's caveats (a parameter seen in too few trials) go on the page and into the log, not onto a terminal.
    notes = list(
        dict.fromkeys(
            str(w.message) for w in caught if not issubclass(w.category, optuna.exceptions.ExperimentalWarning)
        )
    )
    for note in notes:
        log.debug("the %s plot: %s", plot.__name__, note)
    if notes and hasattr(figure, "update_layout"):
        figure.update_layout(meta=" ".join(notes))
    return figure


def _time_to_target(view: StudyView) -> Any:
    """The best dev value against training time, beside random search's (bootstrap over the study's trials)."""
    import plotly.graph_objects as go

    comparison = time_to_target(view.history)
    if comparison is None:
        return None
    figure = go.Figure()
    known = [i for i, value in enumerate(comparison.random_median) if value is not None]
    x = [comparison.seconds[i] for i in known]
    figure.add_scatter(x=x, y=[comparison.random_high[i] for i in known], line={"width": 0}, showlegend=False)
    figure.add_scatter(
        x=x,
        y=[comparison.random_low[i] or comparison.random_median[i] for i in known],
        fill="tonexty",
        line={"width": 0},
        name="random search, 10th-90th percentile",
    )
    figure.add_scatter(x=x, y=[comparison.random_median[i] for i in known], name="random search, median")
    figure.add_scatter(x=comparison.seconds, y=comparison.best, line_shape="hv", name="this search")
    figure.update_layout(
        xaxis_title="training time (seconds, summed over trials)",
        yaxis_title=f"best {view.objective.name}",
        meta=comparison.summary(view.objective.name),
    )
    return figure
