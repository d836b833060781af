"""A recipe's model named by its hub name, on a machine whose model hub cannot be reached: refused in seconds
with what to do (``--model DIR``), not after a minute of retries. The hub here is a real one that does not
answer: ``HF_ENDPOINT`` at a local port where nothing listens (refused at once) or where a socket listens and
never answers (a timeout); and ``HF_HUB_OFFLINE=1``. A model in the Hugging Face cache is loaded from there in
offline mode, and the hub that cannot be reached says to use it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import free_port
from .helpers import fasttext_folder

MODEL = "sentence-transformers/all-MiniLM-L6-v2"  # classifier-frozen's default


def run(tmp_path: Path, *options: str, **env: str) -> subprocess.CompletedProcess:
    """`flair-hpo run --corpus questions --recipe classifier-frozen` with the recipe's default model."""
    if not (tmp_path / "questions").exists():
        fasttext_folder(tmp_path / "questions")
    command = [sys.executable, "-m", "flair_hpo.cli", "run", "--corpus", "questions", "--recipe", "classifier-frozen"]
    environment = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_ENDPOINT")}
    environment |= {"HF_HOME": str(tmp_path / "hf"), **env}
    return subprocess.run(
        [*command, *options], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
    )


def cache_the_model(hf_home: Path, minilm_path: str) -> None:
    """The offline MiniLM put where the Hugging Face cache keeps a downloaded model."""
    snapshot = hf_home / "hub" / f"models--{MODEL.replace('/', '--')}" / "snapshots" / "0123abc"
    shutil.copytree(minilm_path, snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0123abc")


def test_a_hub_that_refuses_the_connection_is_said_with_what_to_do(tmp_path):
    done = run(tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2, done.stderr[-3000:]
    err = done.stderr
    assert err.count("\n") == 1 and "Retrying" not in err, err
    assert f"the model of the recipe classifier-frozen: {MODEL} is not on this machine and the model hub" in err
    assert "cannot be reached (ConnectionRefusedError" in err and "give --model DIR, a folder of the model" in err
    assert f"hf download {MODEL} --local-dir DIR" in err
    assert not (tmp_path / "hyperopt").exists()


def test_a_hub_that_never_answers_is_given_up_after_a_timeout(tmp_path):
    with socket.socket() as silent:  # connections are accepted by the kernel, and never answered
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        done = run(tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{silent.getsockname()[1]}")
    assert done.returncode == 2, done.stderr[-3000:]
    assert "cannot be reached (TimeoutError" in done.stderr and "give --model DIR" in done.stderr, done.stderr


def test_offline_mode_without_the_model_in_the_cache_says_what_to_do(tmp_path):
    done = run(tmp_path, HF_HUB_OFFLINE="1")
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"{MODEL} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: give --model DIR" in done.stderr


def test_a_model_in_the_cache_with_the_hub_unreachable_says_to_go_offline(tmp_path, minilm_path):
    cache_the_model(tmp_path / "hf", minilm_path)
    done = run(tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"{MODEL} is in the Hugging Face cache: set HF_HUB_OFFLINE=1 to load it from there" in done.stderr


@pytest.mark.integration
def test_a_model_in_the_cache_is_searched_offline(tmp_path, minilm_path):
    """The recipe's default model, by its hub name, from the cache with HF_HUB_OFFLINE=1: a search runs."""
    cache_the_model(tmp_path / "hf", minilm_path)
    done = run(tmp_path, "--runs", "1", "--epochs", "1", "--quiet", "--base-path", "search", HF_HUB_OFFLINE="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "search" / "best-model.pt").is_file()


@pytest.mark.integration
def test_the_python_api_refuses_an_unreachable_hub_model_before_the_first_trial(tmp_path):
    """The same check in the Python API (flair and transformers already imported), before anything is written."""
    code = f"""
from flair.datasets import ClassificationCorpus
import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.errors import EmbeddingLoadError
space = search_spaces.recipes.classifier_frozen()
space.add_budget(parameter.Budget.RUNS, 1)
corpus = ClassificationCorpus({str(fasttext_folder(tmp_path / "questions"))!r}, label_type="class")
search = orchestrator.Orchestrator(corpus, {str(tmp_path / "search")!r}, space, search_strategies.RandomSearch())
try:
    search.optimize()
except EmbeddingLoadError as error:
    print(error)
"""
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    env.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"TransformerDocumentEmbeddings.model: {MODEL} is not on this machine" in done.stdout, done.stdout
    assert "Retrying" not in done.stderr and not (tmp_path / "search").exists()
