"""A search's name: its study, its MLflow experiment and parent run are named after its folder, or by
``--study-name``; a folder goes on with the search it holds, whatever its name."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from flair_hpo.cli import main
from flair_hpo.study import open_storage

from .helpers import Place, child_command, small_trec_search, start, trec_config, wait_for_running_trial, write

FIXTURES = Path(__file__).parent / "fixtures" / "studies"


def _studies(folder) -> list[str]:
    return [study.study_name for study in open_storage(None, folder, heartbeat_interval=None).get_all_studies()]


def _parent_runs(uri: str, experiment_name: str) -> list[str]:
    """The names of the runs without a parent in the MLflow experiment of that name."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"no MLflow experiment {experiment_name!r}"
    runs = client.search_runs([experiment.experiment_id])
    return [run.info.run_name for run in runs if "mlflow.parentRunId" not in run.data.tags]


@pytest.mark.integration
def test_a_search_is_named_after_its_folder_or_its_study_name_and_mlflow_takes_the_name(
    mlflow_server, tmp_path, trec_vectors, capsys
):
    unique = uuid.uuid4().hex[:8]  # one MLflow server serves the whole test session
    folder = tmp_path / f"questions-{unique}"
    config = write(tmp_path / "q.yaml", trec_config(tmp_path, trec_vectors, base_path=str(folder), budget={"runs": 1}))
    assert main(["run", str(config), "--mlflow", mlflow_server]) == 0
    assert _studies(folder) == [folder.name]
    assert _parent_runs(mlflow_server, folder.name) == [folder.name]

    other, name = tmp_path / "other", f"team-search-{unique}"
    given = ["--base-path", str(other), "--mlflow", mlflow_server]
    assert main(["run", str(config), *given, "--study-name", name]) == 0
    assert _studies(other) == [name]
    assert _parent_runs(mlflow_server, name) == [name]
    # The same command without the name goes on with the folder's search (its budget is spent: nothing trains).
    assert main(["run", str(config), *given]) == 0
    assert _studies(other) == [name] and _parent_runs(mlflow_server, name) == [name]
    capsys.readouterr()
    assert main(["show", str(other)]) == 0 and "complete" in capsys.readouterr().out
    assert main(["show", str(other), "--study", "nope"]) == 2
    assert f"there is no study 'nope' in {other / 'study.journal'}" in capsys.readouterr().err


@pytest.mark.integration
def test_studies_lists_the_searches_of_a_folder_or_a_storage(trec_corpus, trec_vectors, tmp_path, capsys):
    """A real search in a child process is listed as running, then, killed, as stopped; an earlier version's
    finished search, a search whose study is created but trained nothing, and the searches of a database."""
    root = tmp_path / "hyperopt"
    shutil.copytree(FIXTURES / "v1-journal", root / "old")
    (root / "new").mkdir()
    small_trec_search(trec_corpus, root / "new", trec_vectors).open_store()  # created, nothing trained
    killed = root / "killed"
    command = child_command("die-at", killed, trec_vectors, "--trial", 2, "--epoch", 2)  # dies in trial 2
    child = start(command, tmp_path / "child.log")
    try:
        wait_for_running_trial(Place(None, "killed", killed), {child.pid}, exclude=set())
        assert main(["studies", str(root)]) == 0
        running = _listed(capsys.readouterr().out)
        assert running["killed"]["state"] == "running"
    finally:
        assert child.wait(timeout=600) == -9, (tmp_path / "child.log").read_text()[-3000:]

    assert main(["studies", str(root)]) == 0
    listed = _listed(capsys.readouterr().out)
    assert sorted(listed) == ["flair-hpo", "killed", "new"]
    assert listed["flair-hpo"] | {"last activity": ""} == {
        "name": "flair-hpo",
        "folder": str(root / "old"),
        "task": "text_classification (question_class)",
        "trials": "2",
        "best dev": "0.3704 micro_f1_score",
        "state": "finished",
        "last activity": "",
    }
    assert listed["flair-hpo"]["last activity"].startswith("20")
    assert listed["killed"]["state"] == "stopped" and listed["killed"]["trials"] == "3"
    assert listed["new"]["state"] == "new" and listed["new"]["trials"] == "0" and listed["new"]["best dev"] == ""

    database = tmp_path / "db" / "study.sqlite3"
    shutil.copytree(FIXTURES / "v1-sqlite", database.parent)
    assert main(["studies", "--storage", f"sqlite:///{database}"]) == 0
    assert [row["name"] for row in _listed(capsys.readouterr().out).values()] == ["flair-hpo"]
    assert main(["studies", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def _listed(text: str) -> dict[str, dict[str, str]]:
    """The rows ``flair-hpo studies`` printed, by name (columns split where the header's dashes are)."""
    lines = text.rstrip("\n").splitlines()
    spans, start = [], 0
    for dashes in lines[1].split("  "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2
    cells = [[line[a:b].strip() for a, b in spans] for line in [lines[0], *lines[2:]]]
    return {row[0]: dict(zip(cells[0], row, strict=True)) for row in cells[1:]}
