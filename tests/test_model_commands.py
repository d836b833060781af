"""After a search, from the command line: `train` retrains the best configuration and says its model's dev and
test scores (as `evaluate` and the search itself score them) and where it is, with Flair's log in a file;
`evaluate` and `predict` use a model. And what a run says as it starts and ends: its folder, the dev split Flair
set aside from a folder without dev.txt, a time budget smaller than one training. Real commands, real
training: one trial of one epoch over a frozen MiniLM."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helpers import fasttext_folder

pytestmark = pytest.mark.integration

LABELS = {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}
SEARCH = "hyperopt/questions-classifier-frozen"


def flair_hpo(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flair_hpo.cli", *args]
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # what a user's shell shows
    return subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def searched(tmp_path_factory, minilm_path) -> tuple[Path, str]:
    """A search of a folder without dev.txt (60 training and 20 test questions): its folder and what it printed."""
    project = tmp_path_factory.mktemp("project")
    fasttext_folder(project / "questions")
    done = flair_hpo(
        project, "run", "--corpus", "questions", "--recipe", "classifier-frozen", "--model", minilm_path, "--runs",
        "1", "--epochs", "1", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return project, done.stdout


def test_a_run_says_its_folder_first_and_the_dev_split_flair_set_aside(searched):
    project, printed = searched
    lines = printed.splitlines()
    assert lines[0].startswith(f"Search folder: {SEARCH}  (flair-hpo show {SEARCH}")
    # Flair sets aside a tenth of the 60 training sentences as dev (and reads test.txt as test).
    note = "questions has no dev file: Flair set aside 6 sentences as dev from train.txt, at random"
    assert note in lines[1], printed
    assert (project / SEARCH / "best-model.pt").is_file()


def test_train_says_the_retrained_models_scores_and_place_with_flairs_log_in_a_file(searched):
    project, _ = searched
    done = flair_hpo(project, "train", SEARCH, "--base-path", "retrained")
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout
    scores = re.search(r"dev micro_f1_score (0\.\d{4}|1\.0000), test micro_f1_score (0\.\d{4}|1\.0000)", printed)
    assert scores, printed
    assert "Model saved to retrained/best-model.pt" in printed and "Flair's log: retrained/training.log" in printed
    assert len(printed.splitlines()) == 4, printed  # the sampled dev split, what is trained, the scores, the model
    assert "Test data not provided" not in printed + done.stderr and "GradScaler" not in done.stderr, done.stderr
    log = (project / "retrained" / "training.log").read_text(encoding="utf-8")
    assert "Model training base path" in log and "EPOCH 1 done" in log  # Flair's own log, kept in its file
    stored = yaml.safe_load((project / "retrained" / "configuration.yaml").read_text(encoding="utf-8"))["result"]
    assert f"{stored['dev micro_f1_score']:.4f}" == scores.group(1)

    for split, score in (("dev", scores.group(1)), ("test", scores.group(2))):  # the same, as evaluate scores it
        evaluated = flair_hpo(project, "evaluate", "retrained", "--split", split)
        assert evaluated.returncode == 0, evaluated.stderr[-3000:]
        assert f"{split} micro_f1_score {score} on " in evaluated.stdout, evaluated.stdout


def test_evaluate_scores_the_searchs_model_as_the_search_did(searched):
    project, _ = searched
    done = flair_hpo(project, "evaluate", SEARCH)
    assert done.returncode == 0, done.stderr[-3000:]
    result = yaml.safe_load((project / SEARCH / "best-configuration.yaml").read_text(encoding="utf-8"))["result"]
    test = result["test micro_f1_score"]
    assert f"test micro_f1_score {test:.4f} on 20 sentences ({SEARCH}/best-model.pt)" in done.stdout, done.stdout
    assert "By class:" in done.stdout  # Flair's report of the evaluation


def test_predict_labels_text_and_each_line_of_a_file(searched):
    project, _ = searched
    done = flair_hpo(project, "predict", SEARCH, "Who wrote the Iliad?", "How far away is the moon?")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["Who wrote the Iliad?", "How far away is the moon?"]
    for line in lines:
        label, confidence = re.fullmatch(r"(\w+) \((\d\.\d\d)\)\t.*", line).groups()
        assert label in LABELS and 0 < float(confidence) <= 1
    (project / "questions.txt").write_text("What is DNA?\n\nWhere is Rome?\n", encoding="utf-8")
    from_file = flair_hpo(project, "predict", SEARCH, "--file", "questions.txt")
    from_stdin = flair_hpo(project, "predict", SEARCH, "--file", "-", stdin="What is DNA?\n\nWhere is Rome?\n")
    assert from_file.stdout == from_stdin.stdout and from_file.returncode == 0
    assert [line.split("\t")[1] for line in from_file.stdout.splitlines()] == ["What is DNA?", "", "Where is Rome?"]
    assert from_file.stdout.splitlines()[1] == "-\t"  # a blank line keeps its place


def test_a_time_budget_smaller_than_one_training_is_said(tmp_path, minilm_path):
    fasttext_folder(tmp_path / "questions")
    done = flair_hpo(
        tmp_path, "run", "--corpus", "questions", "--recipe", "classifier-frozen", "--model", minilm_path,
        "--hours", "0.0001", "--epochs", "2", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    note = re.search(
        r"Note: the time budget \(0\.4 s\) is smaller than one training: trial 0 took (\d+\.\d s|\d:\d\d:\d\d) "
        r"\(([12] of its 2 epochs|before its first epoch ended)\); give a budget of several trainings",
        done.stdout,
    )
    assert note, done.stdout
