"""An MLflow tracking store that refuses: at the door, a clear error before anything is created; in the middle of a
search, one warning and the search goes on. Reproduced against an earlier version: a ``file://`` store (which
MLflow 3 keeps in maintenance mode and refuses to open) crashed ``flair-hpo run`` with a 59-line traceback
after the study was created; a server that did not answer was found out only once the search ran."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flair_hpo.results.events import Listeners

from .conftest import free_port
from .helpers import running_mlflow_server, small_trec_search, trec_config, write

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("store", ["file", "down"], ids=["file-store-in-maintenance-mode", "server-not-answering"])
def test_a_tracking_store_that_refuses_is_one_clear_error_before_the_study_is_created(tmp_path, trec_vectors, store):
    uri = (tmp_path / "mlruns").as_uri() if store == "file" else f"http://127.0.0.1:{free_port()}"
    config = write(tmp_path / "c.yaml", trec_config(tmp_path, trec_vectors))
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_ALLOW_FILE_STORE"}
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config), "--mlflow", uri]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 2, done.stderr[-3000:]
    said = done.stderr.splitlines()
    assert len(said) == 1 and said[0].startswith(f"flair-hpo: error: mlflow: MLflow at {uri} cannot be used ("), said
    assert said[0].endswith("or leave mlflow out")
    if store == "file":
        assert "maintenance mode" in said[0]
    assert not (tmp_path / "trec").exists()  # no study, no folder: nothing was started


def test_a_tracking_server_that_dies_in_the_middle_of_a_search_is_said_once_and_the_search_goes_on(
    tmp_path, trec_corpus, trec_vectors, caplog, monkeypatch
):
    """The MLflow server is killed (-9) right after trial 0 ended: the next request fails, the tracker is left
    out with one warning, and the search trains its whole budget."""
    with running_mlflow_server(tmp_path) as (uri, server):
        original = Listeners.trial_finished

        def kill_after_trial_0(self, event):
            original(self, event)
            if event.record.number == 0 and server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

        monkeypatch.setattr(Listeners, "trial_finished", kill_after_trial_0)
        with caplog.at_level(logging.WARNING, logger="flair_hpo"):
            result = small_trec_search(trec_corpus, tmp_path / "search", trec_vectors, runs=3, mlflow=uri).optimize()
    assert result.trials["complete"] == 3
    said = [r.getMessage() for r in caplog.records if "Mlflow" in r.getMessage() or "MLflow" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("MlflowTracker stopped listening to the search"), said
