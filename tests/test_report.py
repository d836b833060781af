"""The report, the final model and the dashboard, after a real evolutionary search on TREC_6."""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import pickle
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.results.report import HISTORY_PNG, IMPORTANCES_PNG, PLOT_IDS, REPORT
from flair_hpo.results.study_view import leaderboard_table, open_for_reading

from .conftest import once_per_session
from .helpers import copy_study

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def finished_search(trec_corpus, trec_vectors, minilm_path, tmp_path_factory):
    """The tutorial's scenario, small: evolution over two document-embedding classes, pruning on, final model;
    searched once per test session. ``(result, base_path)``."""

    def make(folder: Path) -> None:
        result = _search(trec_corpus, trec_vectors, minilm_path, folder / "trec6")
        (folder / "result.pickle").write_bytes(pickle.dumps(result))

    folder = once_per_session(tmp_path_factory, "report-search", make)
    return pickle.loads((folder / "result.pickle").read_bytes()), folder / "trec6"


@pytest.fixture
def search(finished_search, tmp_path):
    """A copy of the finished search for this test, which may write its report again: ``(result, base_path)``."""
    result, base_path = finished_search
    copy = copy_study(base_path, tmp_path / "trec6")
    moved = {
        name: copy / value.relative_to(base_path)
        for name, value in vars(result).items()
        if isinstance(value, Path) and value.is_relative_to(base_path)
    }
    return dataclasses.replace(result, **moved), copy


def _search(trec_corpus, trec_vectors, minilm_path, base_path):
    from flair.embeddings import WordEmbeddings

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameter.Budget.GENERATIONS, 2)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(3)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.2, 0.05, 1e-5])
    space.add_word_embeddings(
        parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
    )
    space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm_path])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    strategy = search_strategies.EvolutionarySearch(population_size=3, seed=3)
    strategy.make_configurations(space)
    runner = orchestrator.Orchestrator(
        trec_corpus, base_path, space, strategy, pruner="successive_halving", final_model=True
    )
    return runner.optimize()


def test_the_final_model_is_trained_on_train_and_dev(search, trec_corpus):
    import yaml
    from flair.models import TextClassifier

    result, base_path = search
    assert result.final_model_path == base_path / "final-model.pt"
    model = TextClassifier.load(result.final_model_path)
    test = model.evaluate(trec_corpus.test, gold_label_type="question_class", mini_batch_size=32)
    assert result.final_test_score == pytest.approx(test.main_score, abs=1e-4)
    saved = yaml.safe_load((base_path / "best-configuration.yaml").read_text())["result"]
    assert saved["final model test micro_f1_score"] == pytest.approx(result.final_test_score)
    log_text = (base_path / "trials" / "final-model" / "training.log").read_text()
    # Flair's own train + dev training: dev is trained on, never evaluated, test never seen.
    assert f"Corpus: {len(trec_corpus.train)} train + {len(trec_corpus.dev)} dev + 0 test sentences" in log_text
    assert "(train_with_dev=True, train_with_test=False)" in log_text and "DEV :" not in log_text


def figure_in(page: str, plot_id: str) -> dict:
    """The plotly figure the page draws into ``plot_id`` (its JSON beside the plot's div)."""
    found = re.search(rf'<script type="application/json" class="figure" data-target="{plot_id}">(.*?)</script>', page)
    assert found, f"no figure for {plot_id}"
    return json.loads(found.group(1))


def test_the_report_has_every_part(search, recwarn, caplog, capfd):
    import matplotlib.pyplot  # noqa: F401  (a new machine builds matplotlib's font cache once, and says so)

    result, base_path = search
    capfd.readouterr()
    recwarn.clear()
    caplog.set_level(logging.INFO)
    caplog.clear()
    path = result.report()
    # No library warning while it is written: none raised, none logged, nothing printed.
    assert [str(w.message) for w in recwarn] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capfd.readouterr() == ("", "")
    assert path == base_path / REPORT
    assert path.stat().st_size < 1_500_000  # one packed copy of plotly.js, not 4.8 MB of it
    page = path.read_text(encoding="utf-8")
    for plot_id in (*PLOT_IDS, "generations"):
        assert f'id="{plot_id}"' in page
    assert "Best configuration: trial" in page and "final model test micro_f1_score" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing is fetched from the network
    # The leaderboard shows the rows `flair-hpo show` prints, in the same order.
    view = open_for_reading(base_path)
    shown = [line.split()[1] for line in leaderboard_table(view).splitlines()[2:]]
    in_page = re.findall(r'<tr class="\w+" data-trial="(\d+)">', page)
    assert in_page == shown and len(shown) == len(view.history.records)
    for png in (HISTORY_PNG, IMPORTANCES_PNG):
        data = (base_path / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_the_leaderboard_shows_the_parameters_that_vary_and_the_status_in_colour(search):
    result, base_path = search
    page = result.report().read_text(encoding="utf-8")
    table = page[page.index('<table id="leaderboard">') : page.index("</table>", page.index('id="leaderboard"'))]
    header = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<th>(.*?)</th>", table)]
    # Two parameters had options to choose from; the model, fine_tune and the pooled word embeddings had one.
    assert header[-2:] == ["document_embeddings", "ModelTrainer.learning_rate"]
    assert not {"TransformerDocumentEmbeddings.model", "TransformerDocumentEmbeddings.fine_tune"} & set(header)
    assert {"rank", "trial", "status", "dev micro_f1_score"} <= set(header)
    statuses = re.findall(
        r'<tr class="(\w+)"[^>]*><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td><span class="status (\w+)"', table
    )
    assert len(statuses) == len(re.findall("<tr class=", table)) and all(a == b for a, b in statuses)
    assert re.search(r"\.status\.complete \{ background: #\w+", page) and re.search(r"\.status\.pruned \{", page)
    # Scores rounded to what the dev split's noise allows, the loss to three significant digits.
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr class.*?</tr>", table)]
    decimals = open_for_reading(base_path).score_decimals
    assert decimals in (2, 3)  # a few hundred dev questions
    assert all(re.fullmatch(rf"\d\.\d{{{decimals}}}", row[header.index("dev micro_f1_score")]) for row in rows)
    assert all(
        float(row[header.index("dev loss")]) == float(f"{float(row[header.index('dev loss')]):.3g}") for row in rows
    )


def test_the_plots_are_tidy(search):
    result, base_path = search
    page = result.report().read_text(encoding="utf-8")
    # Importances and slices of the parameters that had more than one option only.
    varying = {"document_embeddings", "ModelTrainer.learning_rate"}
    assert set(figure_in(page, "importances")["data"][0]["y"]) == varying
    slices = figure_in(page, "slices")
    assert {a["text"] for a in slices["layout"]["annotations"]} == varying
    ticks = {label for trace in slices["data"] for label in trace["x"]}
    assert "DocumentPool<br>Embeddings" in ticks  # long option labels wrapped, in full on hover
    assert {c[1] for t in slices["data"] for c in t["customdata"]} >= {"DocumentPoolEmbeddings", "0.05"}
    # The per-epoch plot names its trials in a legend.
    epochs = figure_in(page, "epochs")
    assert epochs["layout"]["showlegend"] is True
    trials = open_for_reading(base_path).history.records
    assert sorted(t["name"] for t in epochs["data"]) == sorted(f"trial {r.number}" for r in trials)
    # Generations of three trials are drawn as points, not as boxes of three.
    generations = figure_in(page, "generations")
    assert {t["type"] for t in generations["data"]} == {"scatter"} and "fewer than" in generations["layout"]["meta"]


def test_the_learning_curves_are_flairs_loss_files_of_the_best_trials(search):
    result, base_path = search
    page = result.report().read_text(encoding="utf-8")
    curves = figure_in(page, "learning-curves")["data"]
    best = open_for_reading(base_path).reseeding.winner(open_for_reading(base_path).history).best.number
    assert curves[0]["name"] == f"trial {best} (best)"
    rows = (base_path / "trials" / f"trial-{best:04d}" / "loss.tsv").read_text().splitlines()
    columns = rows[0].split("\t")
    values = [dict(zip(columns, row.split("\t"), strict=True)) for row in rows[1:]]
    assert curves[0]["y"] == [float(v["TRAIN_LOSS"]) for v in values]  # train loss
    assert curves[1]["y"] == [float(v["DEV_LOSS"]) for v in values]  # dev loss
    assert curves[2]["y"] == [float(v["DEV_F1"]) for v in values]  # dev score
    assert curves[0]["x"] == [int(v["EPOCH"]) for v in values]


def test_a_loss_file_without_epochs_or_of_another_format_has_no_curve(tmp_path):
    from flair_hpo.results.learning_curves import read_loss_file

    (tmp_path / "empty.tsv").write_text("")  # a trial pruned in its first epoch: Flair wrote no line
    (tmp_path / "other.tsv").write_text("a\tb\n1\t2\n")
    (tmp_path / "cut.tsv").write_text("EPOCH\tTRAIN_LOSS\tDEV_LOSS\tDEV_F1\n1\t0.9\t0.8\t0.5\n2\t0.7")
    assert read_loss_file(tmp_path / "empty.tsv", 0) is None and read_loss_file(tmp_path / "other.tsv", 0) is None
    assert read_loss_file(tmp_path / "missing.tsv", 0) is None
    cut = read_loss_file(tmp_path / "cut.tsv", 3)
    assert cut.epochs == [1, 2] and cut.train_loss == [0.9, 0.7] and cut.dev_loss == [0.8, None]


def test_generations_with_enough_trials_are_boxes():
    from datetime import datetime

    from flair_hpo.records import History, TrialRecord, TrialStatus
    from flair_hpo.results.report_figures import BOX_MINIMUM, generations_figure
    from flair_hpo.results.study_view import StudyView

    space = search_spaces.TextClassifierSearchSpace()
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    records = [
        TrialRecord(n, TrialStatus.COMPLETE, {"x": n}, n / 20, {"duration_s": 1.0}, datetime(2026, 1, 1), None)
        for n in range(2 * BOX_MINIMUM)
    ]
    boxes = generations_figure(StudyView(History(records, minimize=False), space), BOX_MINIMUM)
    assert [t.type for t in boxes.data] == ["box"] and list(boxes.data[0].x) == [0] * BOX_MINIMUM + [1] * BOX_MINIMUM
    points = generations_figure(StudyView(History(records[:-1], minimize=False), space), BOX_MINIMUM)
    assert [t.type for t in points.data] == ["scatter"]


def test_optunas_caveats_go_on_the_page_not_onto_the_terminal(recwarn):
    """PED-ANOVA warns of a parameter seen in one trial only (a conditional one, as in the main job's search)."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import create_trial

    from flair_hpo.records import History
    from flair_hpo.results.report_figures import study_figures
    from flair_hpo.results.study_view import StudyView

    space = search_spaces.TextClassifierSearchSpace()
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    study = optuna.create_study(direction="maximize")
    kind, pooling = CategoricalDistribution(["pool", "rnn"]), CategoricalDistribution(["mean", "max"])
    for number, value in enumerate([0.9, 0.5, 0.4, 0.7, 0.45, 0.3, 0.35]):
        conditional = {"pooling": "mean"} if number == 0 else {}
        study.add_trial(
            create_trial(
                params={"kind": "pool" if number % 2 == 0 else "rnn", **conditional},
                distributions={"kind": kind, **({"pooling": pooling} if conditional else {})},
                value=value,
            )
        )
    figures = study_figures(StudyView(History.of(study), space, study))
    assert [str(w.message) for w in recwarn] == []
    assert "Some regimes for parameter `pooling`" in figures["importances"].layout.meta


def test_the_bundled_plotly_js_is_the_version_plotly_writes_figures_for():
    from plotly.offline import get_plotlyjs_version

    from flair_hpo.results.report_page import plotly_bundle_version

    assert plotly_bundle_version() == get_plotlyjs_version()


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise AssertionError("the report test needs Debian's chromium: apt-get install chromium (.ci/run installs it)")


# Appended to a copy of the report: once the plots are drawn, writes what the test measures into the page.
MEASURE = """<script>
(function measure() {
  var root = document.documentElement;
  if (!root.getAttribute("data-drawn")) { setTimeout(measure, 100); return; }
  var overlaps = 0;
  document.querySelectorAll("#slices .xaxislayer-above").forEach(function (axis) {
    var boxes = Array.from(axis.querySelectorAll("text")).map(function (t) { return t.getBoundingClientRect(); });
    boxes.forEach(function (a, i) { boxes.slice(i + 1).forEach(function (b) {
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) { overlaps += 1; } }); });
  });
  var box = document.getElementById("leaderboard-box");
  document.body.setAttribute("data-measured", JSON.stringify({scroll: root.scrollWidth, client: root.clientWidth,
    inner: window.innerWidth, overlaps: overlaps, table: box.scrollWidth, box: box.clientWidth}));
})();
</script>"""


def test_a_failed_trials_error_is_on_its_row_without_widening_the_page(tmp_path):
    """A long traceback: its first line on the row, cut short; all of it on hover; the page no wider."""
    from datetime import datetime

    from flair_hpo.records import History, TrialRecord, TrialStatus
    from flair_hpo.results.leaderboard import leaderboard_rows
    from flair_hpo.results.report_page import leaderboard_html, page
    from flair_hpo.training.scoring import Objective

    space = search_spaces.TextClassifierSearchSpace()
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    error = "RuntimeError: CUDA out of memory. " + "Tried to allocate 2.00 GiB; " * 20 + "\nTraceback (most recent...)"
    start = datetime(2026, 1, 1)
    records = [
        TrialRecord(0, TrialStatus.COMPLETE, {"ModelTrainer.learning_rate": 0.1}, 0.5, {}, start, start),
        TrialRecord(1, TrialStatus.FAILED, {"ModelTrainer.learning_rate": 0.05}, None, {"error": error}, start, start),
    ]
    history = History(records, minimize=False)
    table = leaderboard_html(leaderboard_rows(history, space, Objective.of(space)), {r.number: r for r in records})
    cell = re.search(r'<tr class="failed" data-trial="1">.*<div class="error" title="([^"]*)">([^<]*)</div>', table)
    assert cell and html.unescape(cell.group(1)) == error.strip()  # all of it on hover
    assert cell.group(2).startswith("RuntimeError: CUDA out of memory.") and "Traceback" not in cell.group(2)
    assert '<span class="status failed">failed</span>' in table
    path = tmp_path / "failed.html"
    path.write_text(page("a failed trial", "", [table]) + MEASURE, encoding="utf-8")
    measured = json.loads(html.unescape(re.search(r'data-measured="([^"]*)"', dump_dom(path, tmp_path)).group(1)))
    assert measured["scroll"] <= measured["client"] <= measured["inner"] == 1366, measured
    assert measured["table"] <= measured["box"], measured


def chromium_flags(tmp_path: Path) -> list[str]:
    """Headless chromium at a laptop's size, with no network (a proxy that does not exist)."""
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        "--virtual-time-budget=30000",
        "--window-size=1366,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]


def dump_dom(page: Path, tmp_path: Path) -> str:
    command = [*chromium_flags(tmp_path), "--dump-dom", page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True).stdout


def test_the_report_fits_a_laptop_screen_in_headless_chromium(search, tmp_path):
    result, _ = search
    page = tmp_path / "report.html"
    page.write_text(result.report().read_text(encoding="utf-8") + MEASURE, encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert "data-errors" not in dom.split(">", 2)[1]  # no script error on the page
    for plot_id in (*PLOT_IDS, "generations"):
        drawn = re.search(rf'id="{plot_id}"[^>]*class="[^"]*js-plotly-plot', dom) or re.search(
            rf'class="[^"]*js-plotly-plot[^"]*"[^>]*id="{plot_id}"', dom
        )
        assert drawn, f"plot {plot_id} was not drawn"
    assert dom.count('class="main-svg"') >= len(PLOT_IDS) + 1
    measured = json.loads(html.unescape(re.search(r'data-measured="([^"]*)"', dom).group(1)))
    assert measured["inner"] == 1366
    # Nothing runs off the page: the document is no wider than the window (nor than its visible part).
    assert measured["scroll"] <= measured["client"] <= measured["inner"], measured
    assert measured["table"] <= measured["box"], measured  # nor does the leaderboard scroll sideways in its box
    assert measured["overlaps"] == 0  # the slice plots' option labels do not overlap
    screenshot = tmp_path / "report.png"
    command = [*chromium_flags(tmp_path), f"--screenshot={screenshot}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=180, check=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", screenshot.read_bytes()[16:24])
    assert (width, height) == (1366, 900)


def test_the_dashboard_reads_the_study_with_readable_names(search):
    """optuna-dashboard's own API (as its web page calls it) on the study journal, without a server."""
    import json
    from wsgiref.util import setup_testing_defaults

    from optuna_dashboard import wsgi

    from flair_hpo.study.storages import open_storage

    _, base_path = search
    app = wsgi(open_storage(None, base_path))

    def get(url: str):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": url}
        setup_testing_defaults(environ)
        status: list[str] = []
        body = app(environ, lambda code, headers, error=None: status.append(code))
        assert status[0].startswith("200"), status
        return json.loads(b"".join(body))

    study_id = get("/api/studies")["study_summaries"][0]["study_id"]
    trials = get(f"/api/studies/{study_id}")["trials"]
    names = {p["name"] for t in trials for p in t["params"]}
    assert {"document_embeddings", "ModelTrainer.learning_rate"} <= names
    shown = {p["param_external_value"] for t in trials for p in t["params"] if p["name"] == "document_embeddings"}
    assert shown and shown <= {"DocumentPoolEmbeddings", "TransformerDocumentEmbeddings"}
    words = {p["param_external_value"] for t in trials for p in t["params"] if p["name"].endswith("word_embeddings")}
    assert all(value.startswith("WordEmbeddings(") for value in words)


def test_report_on_the_command_line(search, tmp_path):
    _, base_path = search
    done = subprocess.run(
        [sys.executable, "-m", "flair_hpo.cli", "report", str(base_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and f"Report: {base_path / REPORT}" in done.stdout
    (tmp_path / "empty").mkdir()
    for folder, message in (("nothing", "does not exist"), ("empty", "holds no flair-hpo search")):
        done = subprocess.run(
            [sys.executable, "-m", "flair_hpo.cli", "report", str(tmp_path / folder)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert list((tmp_path / "empty").iterdir()) == []


def test_time_to_target_compares_with_random_orders_of_the_same_trials():
    from datetime import datetime, timedelta

    from flair_hpo.records import History, TrialRecord, TrialStatus
    from flair_hpo.results.time_to_target import time_to_target

    start = datetime(2026, 1, 1)

    def history(values):
        return History(
            [
                TrialRecord(
                    n, TrialStatus.COMPLETE, {"x": n}, v, {"duration_s": 1.0}, start + timedelta(seconds=n), None
                )
                for n, v in enumerate(values)
            ],
            minimize=False,
        )

    found_first = time_to_target(history([9, 1, 2, 3, 4, 5, 6, 7, 8, 0]))
    assert found_first.seconds_to_target == 1.0 and found_first.target == 9
    assert 0.03 <= found_first.random_share_at_target <= 0.2  # random order: the best comes first 1 time in 10
    found_last = time_to_target(history([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    assert found_last.seconds_to_target == 10.0 and found_last.random_share_at_target == 1.0
    assert found_last.random_median[-1] == 9 and found_last.best == [float(v) for v in range(10)]
    assert "random search" in found_first.summary("dev micro_f1_score")
    assert time_to_target(history([5])) is None
