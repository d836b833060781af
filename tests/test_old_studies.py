"""Studies written by earlier versions of flair-hpo, kept as files (``tests/fixtures/studies``, made by
``make_v1.py`` there with the version it names): this version reads them and continues them, in a journal
file and in an SQL database, as Optuna keeps old journal and RDB files in its tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.cli import main
from flair_hpo.records import TrialStatus, keys
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.search.settings import RunSettings
from flair_hpo.study import open_storage

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent / "fixtures" / "studies"
VECTORS = "tests/fixtures/studies/vectors.kv"  # as the old search named them (the tests run from the repository)


def the_old_search(
    base_path: Path, runs: int, storage: str | None, learning_rates=(0.1,), pruner="none"
) -> orchestrator.Orchestrator:
    """The search ``make_v1.py`` ran (``make_v2_data_halving.py``: with learning rates 0.1 and 0.2), with a budget
    of ``runs`` and ``pruner``."""
    from flair.embeddings import WordEmbeddings

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameter.Budget.RUNS, runs)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=list(learning_rates))
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[8, 16, 32])
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(VECTORS)]])
    return orchestrator.Orchestrator(
        {"dataset": "TREC_6", "downsample": 0.05},
        base_path,
        space,
        search_strategies.RandomSearch(seed=1),
        storage=storage,
        pruner=pruner,
        embedding_store=False,
    )


@pytest.fixture(params=["v1-journal", "v1-sqlite"])
def old_study(request, tmp_path) -> tuple[Path, str | None]:
    """A copy of a study of format 1, and its storage URL (None: the journal in its folder)."""
    copy = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, copy)
    database = copy / "study.sqlite3"
    return copy, f"sqlite:///{database}" if database.exists() else None


def test_a_study_of_an_earlier_version_is_read(old_study, capsys):
    base_path, storage = old_study
    view = open_for_reading(base_path, storage)
    assert [r.status for r in view.history.records] == [TrialStatus.COMPLETE] * 2
    assert [r.fraction for r in view.history.records] == [1.0, 1.0]  # noted before fractions were stored
    assert main(["show", str(base_path), *(["--storage", storage] if storage else [])]) == 0
    assert capsys.readouterr().out.count("complete") == 2


def test_a_worker_joining_a_study_of_an_earlier_version_waits_on_its_storage_as_long_as_before(old_study):
    """Studies stored before storage_patience existed: a worker's settings read from them leave it at None,
    the retry window of four heartbeat intervals (60 s at least)."""
    base_path, storage = old_study
    backend = open_storage(storage, base_path, heartbeat_interval=None)
    stored = backend.get_study_system_attrs(backend.get_study_id_from_name("flair-hpo"))[keys.RUN]
    assert "storage_patience" not in stored
    settings = RunSettings.from_stored(stored, base_path=base_path, storage=storage)
    assert settings.storage_patience is None and settings.heartbeat_interval == stored["heartbeat_interval"]


def test_a_study_of_an_earlier_version_is_continued(old_study):
    base_path, storage = old_study
    before = {r.number: r.value for r in open_for_reading(base_path, storage).history.records}
    result = the_old_search(base_path, runs=3, storage=storage).optimize()
    history = open_for_reading(base_path, storage).history
    assert result.trials["complete"] == 3 and len({r.key for r in history.records}) == 3
    assert {n: history.records[n].value for n in before} == before  # the earlier trials, unchanged
    backend = open_storage(storage, base_path, heartbeat_interval=None)
    stored = backend.get_study_system_attrs(backend.get_study_id_from_name("flair-hpo"))
    assert keys.FORMAT not in stored  # it stays a study of its format: nothing is rewritten


@pytest.fixture
def screened_study(tmp_path) -> Path:
    """A copy of a study searched with data halving (``make_v2_data_halving.py``): six trials screened on a
    ninth or a third of the training split, one trained on all of it."""
    copy = tmp_path / "v2-data-halving"
    shutil.copytree(FIXTURES / "v2-data-halving", copy)
    return copy


def test_a_study_with_trials_screened_on_part_of_the_training_split_is_shown_and_reported(screened_study, capsys):
    from flair_hpo.results.report import write_report

    history = open_for_reading(screened_study).history
    assert sorted(round(r.fraction, 3) for r in history.records) == [0.111] * 5 + [0.333, 1.0]
    assert main(["show", str(screened_study)]) == 0
    shown = capsys.readouterr().out
    assert "share" in shown and shown.count("11%") == 5 and "33%" in shown and "100%" in shown
    page = write_report(screened_study).read_text()
    assert page.count("11%") >= 5 and "33%" in page


def test_a_study_searched_with_data_halving_is_not_continued(screened_study):
    """Data halving is no longer offered: its study is refused in one line naming the setting, before anything
    is trained, and kept as it was."""
    from flair_hpo.errors import StudyMismatchError

    journal = (screened_study / "study.journal").read_bytes()
    search = the_old_search(screened_study, runs=9, storage=None, learning_rates=(0.1, 0.2), pruner="auto")
    with pytest.raises(StudyMismatchError, match=r'searched with pruner="data_halving", which is no longer offered'):
        search.optimize()
    assert (screened_study / "study.journal").read_bytes() == journal
