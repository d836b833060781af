"""The report: one self-contained HTML page (``base_path/report.html``) that a person reads after a search
(docs/report.md), read from the study store only. Needs ``pip install 'flair-hpo[report]'``.

Example::

    result = orchestrator.Orchestrator(...).optimize()
    result.report()                       # or: flair-hpo report BASE_PATH
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from flair_hpo.errors import InputError
from flair_hpo.files import atomic_write, atomic_write_text
from flair_hpo.records import TrialStatus
from flair_hpo.results.best import BEST_CONFIGURATION
from flair_hpo.results.leaderboard import leaderboard_rows, ranked
from flair_hpo.results.learning_curves import LOSS_FILE, best_curves, learning_curves_figure
from flair_hpo.results.report_figures import optuna_plot, study_figures, varying_parameters
from flair_hpo.results.report_page import TOO_LITTLE, figure_html, key_value_table, leaderboard_html, page
from flair_hpo.results.study_view import StudyView, open_for_reading

log = logging.getLogger("flair_hpo")

REPORT = "report.html"
HISTORY_PNG = "report-history.png"
IMPORTANCES_PNG = "report-importances.png"
# Plot sections of the page, by element id; the browser test checks that each one is drawn.
PLOT_IDS = ("learning-curves", "history-trials", "timeline", "history-time", "epochs", "importances", "slices")
_MISSING = {
    "learning-curves": f"no scored trial has its {LOSS_FILE} in this base_path (trials trained elsewhere keep theirs)"
}
_TITLES = {
    "learning-curves": "Learning curves of the best trials (Flair's loss.tsv)",
    "history-trials": "Dev value over trials (complete trials), and the best so far",
    "timeline": "Trials over wall time",
    "history-time": "Best dev value against training time, and random search's (time to target)",
    "epochs": "Dev value after every epoch",
    "importances": "Parameter importances (Optuna's PED-ANOVA over complete trials), of the parameters that varied",
    "slices": "Dev value against each parameter that varied (complete trials)",
    "generations": "Dev values per generation",
}


def write_report(base_path: str | Path, storage: str | None = None, study_name: str | None = None) -> Path:
    """Write ``report.html`` and the PNG plots into ``base_path``; return the report's path."""
    base_path = Path(base_path)
    if not base_path.is_dir():
        problem = "is a file" if base_path.exists() else "does not exist"
        raise InputError(f"{base_path} {problem}; give the base_path of a search")
    view = open_for_reading(base_path, storage, study_name)
    _check_plotting()
    figures = {"learning-curves": _learning_curves(base_path, view), **study_figures(view)}
    sections = [_best_section(base_path, view), _leaderboard_section(view)]
    sections += [figure_html(i, _TITLES[i], figure, _MISSING.get(i, TOO_LITTLE)) for i, figure in figures.items()]
    atomic_write_text(base_path / REPORT, _page(view, sections, base_path))
    _write_pngs(base_path, view)
    log.info("report written to %s", base_path / REPORT)
    return base_path / REPORT


def _learning_curves(base_path: Path, view: StudyView) -> Any:
    scored = [record for _, record in ranked(view.history, view.reseeding) if record.value is not None]
    return learning_curves_figure(
        best_curves(base_path, scored, view.objective.evaluation_metric), view.objective.evaluation_metric
    )


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
        f'<h2>Best configuration: trial {best.number}</h2><div id="best">{key_value_table(scores)}'
        f"{key_value_table(best.labels)}</div>"
    )


def _leaderboard_section(view: StudyView) -> str:
    rows = leaderboard_rows(view.history, view.space, view.objective, view.reseeding)
    return leaderboard_html(rows, {record.number: record for record in view.history.records}, view.score_decimals)


def _page(view: StudyView, sections: list[str], base_path: Path) -> str:
    shown = (TrialStatus.COMPLETE, TrialStatus.STOPPED, TrialStatus.PRUNED, TrialStatus.FAILED, TrialStatus.RUNNING)
    counts = view.history.counts(*shown, as_shown=True)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    title = f"flair-hpo report: {html.escape(base_path.resolve().name)} (study {html.escape(view.study.study_name)})"
    introduction = (
        f"{len(view.history.records)} trials: {summary}. Objective: {html.escape(view.objective.name)} on the dev "
        f"split (test is scored once, for the best model). Written {datetime.now():%Y-%m-%d %H:%M}."
    )
    return page(title, introduction, sections)


def _write_pngs(base_path: Path, view: StudyView) -> None:
    """The two main plots as PNG images (for a README, an e-mail, a slide): Optuna's matplotlib twins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as om

    objective = view.objective.name
    varying = varying_parameters(view.study)  # as on the page: a parameter with one option explains nothing
    for name, plot, arguments in (
        (HISTORY_PNG, om.plot_optimization_history, {"target_name": objective}),
        (
            IMPORTANCES_PNG,
            om.plot_param_importances if varying else None,
            {"target_name": objective, "params": varying},
        ),
    ):
        axes = optuna_plot(plot, view, **arguments) if plot else None
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
