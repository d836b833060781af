"""A search's name: its study, its MLflow experiment and parent run are named after its folder, or by
``--study-name``; a folder goes on with the search it holds, whatever its name."""

from __future__ import annotations

import uuid

import pytest

from flair_hpo.cli import main
from flair_hpo.study import open_storage

from .helpers import trec_config, write


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
