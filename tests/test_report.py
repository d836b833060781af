"""The report, the final model and the dashboard, after a real evolutionary search on TREC_6."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.results.report import HISTORY_PNG, IMPORTANCES_PNG, PLOT_IDS, REPORT
from flair_hpo.results.study_view import leaderboard_table, open_for_reading

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def search(trec_corpus, trec_vectors, minilm_path, tmp_path_factory):
    """The tutorial's scenario, small: evolution over two document-embedding classes, pruning on, final model."""
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
    base_path = tmp_path_factory.mktemp("report") / "trec6"
    runner = orchestrator.Orchestrator(
        trec_corpus, base_path, space, strategy, pruner="successive_halving", final_model=True
    )
    result = runner.optimize()
    return result, base_path


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


def test_the_report_has_every_part(search):
    result, base_path = search
    path = result.report()
    assert path == base_path / REPORT
    page = path.read_text(encoding="utf-8")
    for plot_id in (*PLOT_IDS, "generations"):
        assert f'id="{plot_id}"' in page
    assert "Best configuration: trial" in page and "final model test micro_f1_score" in page
    assert "https://" not in page.split("<style>")[1]  # nothing is fetched from the network
    # The leaderboard shows the rows `flair-hpo show` prints, in the same order.
    view = open_for_reading(base_path)
    shown = [line.split()[1] for line in leaderboard_table(view).splitlines()[2:]]
    in_page = re.findall(r'<tr class="\w+"><td>[^<]*</td><td>(\d+)</td>', page)
    assert in_page == shown and len(shown) == len(view.history.records)
    for png in (HISTORY_PNG, IMPORTANCES_PNG):
        data = (base_path / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise AssertionError("the report test needs Debian's chromium: apt-get install chromium (.ci/run installs it)")


def test_the_report_loads_offline_in_headless_chromium(search, tmp_path):
    result, _ = search
    path = result.report()
    flags = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--proxy-server=127.0.0.1:9",
        "--virtual-time-budget=20000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=180, check=True
    ).stdout
    assert "data-errors" not in dom.split(">", 2)[1]  # no script error on the page
    for plot_id in (*PLOT_IDS, "generations"):
        drawn = re.search(rf'id="{plot_id}"[^>]*class="[^"]*js-plotly-plot', dom) or re.search(
            rf'class="[^"]*js-plotly-plot[^"]*"[^>]*id="{plot_id}"', dom
        )
        assert drawn, f"plot {plot_id} was not drawn"
    assert dom.count('class="main-svg"') >= len(PLOT_IDS) + 1
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--window-size=1280,2400", f"--screenshot={screenshot}", path.as_uri()],
        capture_output=True,
        timeout=180,
        check=True,
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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
