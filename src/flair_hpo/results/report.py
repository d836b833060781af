"""The report: one self-contained HTML page (``base_path/report.html``) that a person reads after a search.

It is read from the study store only, so it can be written during a search, after it, or on another
machine. The page embeds plotly.js, so it opens offline from a file. Sections: the best configuration with
its dev and test scores; the leaderboard (the rows of ``flair-hpo show``); Optuna's own visualizations of
the study (the dev value over trials, the trials over wall time, the dev value after every epoch, parameter
importances, the dev value against each parameter); the best dev value over wall time; for evolutionary
search, the dev values of each generation. The two main plots are also written as PNG files
(``report-history.png``, ``report-importances.png``) with Optuna's matplotlib twins of the same plots.

Plotting needs the ``report`` extra: ``pip install 'flair-hpo[report]'`` (plotly and matplotlib).

Example::

    result = orchestrator.Orchestrator(...).optimize()
    result.report()                       # or: flair-hpo report BASE_PATH
"""

from __future__ import annotations

import html
import logging
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna

from flair_hpo.errors import InputError
from flair_hpo.files import atomic_write, atomic_write_text
from flair_hpo.records import TrialStatus
from flair_hpo.results.best import BEST_CONFIGURATION
from flair_hpo.results.leaderboard import leaderboard_rows, shown_columns
from flair_hpo.results.study_view import StudyView, open_for_reading
from flair_hpo.results.time_to_target import time_to_target

log = logging.getLogger("flair_hpo")

REPORT = "report.html"
HISTORY_PNG = "report-history.png"
IMPORTANCES_PNG = "report-importances.png"
# Plot sections of the page, by element id; the browser test checks that each one is drawn.
PLOT_IDS = ("history-trials", "timeline", "history-time", "epochs", "importances", "slices")


def write_report(base_path: str | Path, storage: str | None = None, study_name: str | None = None) -> Path:
    """Write ``report.html`` and the PNG plots into ``base_path``; return the report's path."""
    base_path = Path(base_path)
    if not base_path.is_dir():
        problem = "is a file" if base_path.exists() else "does not exist"
        raise InputError(f"{base_path} {problem}; give the base_path of a search")
    view = open_for_reading(base_path, storage, study_name)
    _check_plotting()
    figures = _figures(view)
    sections = [_best_section(base_path, view), _leaderboard_section(view)]
    titles = {
        "history-trials": "Dev value over trials (complete trials), and the best so far",
        "timeline": "Trials over wall time",
        "history-time": "Best dev value against training time, and random search's (time to target)",
        "epochs": "Dev value after every epoch",
        "importances": "Parameter importances (Optuna's PED-ANOVA, over complete trials)",
        "slices": "Dev value against each parameter",
        "generations": "Dev values per generation",
    }
    for plot_id, figure in figures.items():
        if figure is None:
            message = "needs at least two complete trials that differ"
            sections.append(f'<h2>{titles[plot_id]}</h2><p class="none" id="{plot_id}">Not drawn: {message}.</p>')
        else:
            div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=plot_id)
            note = f"<p>{html.escape(figure.layout.meta)}</p>" if isinstance(figure.layout.meta, str) else ""
            sections.append(f"<h2>{titles[plot_id]}</h2>{note}{div}")
    atomic_write_text(base_path / REPORT, _page(view, sections, base_path))
    _write_pngs(base_path, view)
    log.info("report written to %s", base_path / REPORT)
    return base_path / REPORT


# ------------------------------------------------------------------------------------------- figures
def _figures(view: StudyView) -> dict[str, Any]:
    import optuna.visualization as ov
    import plotly.graph_objects as go

    objective = view.objective.name
    figures: dict[str, Any] = {
        "history-trials": _optuna_plot(ov.plot_optimization_history, view, target_name=objective),
        "timeline": _optuna_plot(ov.plot_timeline, view, minimum=1),
        "history-time": _time_to_target(view),
        "epochs": _optuna_plot(ov.plot_intermediate_values, view, minimum=1),
        "importances": _optuna_plot(ov.plot_param_importances, view, target_name=objective),
        "slices": _optuna_plot(ov.plot_slice, view, target_name=objective),
    }
    population = (view.strategy or {}).get("population_size")
    if population:
        generations = go.Figure()
        counted = [r for r in view.history.records if r.counts]
        for index, record in enumerate(counted):
            if record.value is not None:
                generation = index // population
                generations.add_box(
                    x=[generation],
                    y=[record.value],
                    name=f"generation {generation}",
                    boxpoints="all",
                    showlegend=False,
                    marker_color="#1f77b4",
                )
        generations.update_layout(xaxis_title="generation", yaxis_title=objective)
        figures["generations"] = generations
    return figures


def _enough_complete(view: StudyView) -> bool:
    """Whether importances can be estimated: Optuna's need two complete trials that differ."""
    complete = [r for r in view.history.records if r.status is TrialStatus.COMPLETE]
    return len({r.key for r in complete}) >= 2


def _optuna_plot(plot: Any, view: StudyView, minimum: int = 2, **arguments: Any) -> Any:
    """An Optuna visualization of the study, or None when the study has too little to show: plots of values
    need ``minimum`` complete trials that differ (Optuna's importances need two)."""
    if minimum > 1 and not _enough_complete(view):
        return None
    if not view.history.records:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return plot(view.study, **arguments)
    except (ValueError, RuntimeError) as error:  # e.g. every parameter had a single value
        log.info("the %s plot is left out: %s", plot.__name__, error)
        return None


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


# ------------------------------------------------------------------------------------------ sections
def _best_section(base_path: Path, view: StudyView) -> str:
    import yaml

    path = base_path / BEST_CONFIGURATION
    winner = view.reseeding.winner(view.history)
    if winner is None:
        return "<h2>Best configuration</h2><p>No trial has finished yet.</p>"
    best = winner.best
    saved = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    scores = saved.get("result", {}) if saved and saved.get("result", {}).get("trial") == best.number else {}
    if not scores:
        scores = {view.objective.name: best.value}
    if winner.seeds > 1:
        scores = {f"mean ± sd over {winner.seeds} seeds": f"{winner.value:.4f} ± {winner.sd:.4f}", **scores}
    return (
        f'<h2>Best configuration: trial {best.number}</h2><div id="best">{_key_value_table(scores)}'
        f"{_key_value_table(best.labels)}</div>"
    )


def _key_value_table(pairs: dict[str, Any]) -> str:
    cells = ((html.escape(str(k)), html.escape(_readable(v))) for k, v in pairs.items())
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in cells) + "</table>"


def _readable(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _leaderboard_section(view: StudyView) -> str:
    rows = leaderboard_rows(view.history, view.space, view.objective, view.reseeding)
    if not rows:
        return "<h2>Leaderboard</h2><p>No trials yet.</p>"
    columns = shown_columns(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        f'<tr class="{html.escape(str(row["status"]))}">'
        + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    return f'<h2>Leaderboard</h2><table id="leaderboard"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _page(view: StudyView, sections: list[str], base_path: Path) -> str:
    from plotly.offline import get_plotlyjs

    counts = view.history.counts(TrialStatus.COMPLETE, TrialStatus.PRUNED, TrialStatus.FAILED, TrialStatus.RUNNING)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    title = f"flair-hpo report: {html.escape(base_path.resolve().name)} (study {html.escape(view.study.study_name)})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>window.addEventListener("error", function (e) {{
  document.documentElement.setAttribute("data-errors", (document.documentElement.getAttribute("data-errors") || "")
    + " " + e.message); }});</script>
<script>{get_plotlyjs()}</script>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1200px; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 1em 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: left; }}
#best {{ display: flex; align-items: flex-start; }}
tr.pruned td {{ color: #777; }} tr.failed td {{ color: #b00; }}
#leaderboard {{ display: block; overflow-x: auto; }}
</style></head>
<body><h1>{title}</h1>
<p>{len(view.history.records)} trials: {summary}. Objective: {html.escape(view.objective.name)} on the dev split
(test is scored once, for the best model). Written {datetime.now():%Y-%m-%d %H:%M}.</p>
{"".join(sections)}
</body></html>
"""


def _write_pngs(base_path: Path, view: StudyView) -> None:
    """The two main plots as PNG images (for a README, an e-mail, a slide): Optuna's matplotlib twins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as om

    objective = view.objective.name
    for name, plot, arguments in (
        (HISTORY_PNG, om.plot_optimization_history, {"target_name": objective}),
        (IMPORTANCES_PNG, om.plot_param_importances, {"target_name": objective}),
    ):
        axes = _optuna_plot(plot, view, **arguments)
        if axes is None:
            figure, axes = plt.subplots(figsize=(7, 3))
            axes.text(0.5, 0.5, "needs at least two complete trials that differ", ha="center")
            axes.set_axis_off()
        figure = axes.get_figure()
        figure.set_size_inches(8, 4.5)
        figure.tight_layout()
        atomic_write(base_path / name, lambda tmp, figure=figure: figure.savefig(tmp, format="png", dpi=110))
        plt.close(figure)


def _check_plotting() -> None:
    """Refuse clearly when the report extra (plotly, matplotlib) is not installed."""
    import importlib.util

    missing = [name for name in ("plotly", "matplotlib") if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"the report needs {' and '.join(missing)}: pip install 'flair-hpo[report]' (the search itself "
            "does not need them)"
        )
