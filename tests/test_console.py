"""What a person sees while a search runs: a live status on a terminal (read from a real pseudo-terminal), plain
lines elsewhere, a line per trial with --quiet; the summary once, numbers rounded, no library warnings."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pexpect
import pytest

from flair_hpo.results.text import labels_text

from .helpers import trec_config, write

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _screen_text(seen: str) -> str:
    """What was drawn, as text: a line erased (the live status redrawn) ends what was there before it."""
    return ANSI.sub(lambda match: "\n" if match.group().endswith("K") else "", seen)


#: A float printed with all its digits (3.0000000000000004e-05, 0.012345678).
LONG_FLOAT = re.compile(r"\d\.\d{7,}")
SUMMARY = "Best configuration (trial"


def _config(tmp_path, trec_vectors):
    parameters = {
        # A log-uniform learning rate: raw, its values print with 16 digits.
        "ModelTrainer.learning_rate": {"low": 0.01, "high": 0.2, "log": True},
        "ModelTrainer.MINI_BATCH_SIZE": [8],
        "DocumentPoolEmbeddings.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": str(trec_vectors)}]],
    }
    # The report (and its plotting libraries' warnings) is the report's tests' business.
    config = trec_config(tmp_path, trec_vectors, max_epochs_per_training_run=2, parameters=parameters, report=False)
    return write(tmp_path / "trec.yaml", config)


def _environment() -> dict[str, str]:
    return {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40", "PYTHONWARNINGS": "default"}


def test_numbers_are_rounded_for_people():
    assert labels_text({"ModelTrainer.learning_rate": 3.0000000000000004e-05, "hidden": 128}) == (
        "ModelTrainer.learning_rate=3e-05, hidden=128"
    )
    assert labels_text({"ModelTrainer.learning_rate": 0.012345678}) == "ModelTrainer.learning_rate=0.01235"


@pytest.mark.integration
def test_on_a_terminal_a_live_status_shows_trials_best_time_and_the_epoch(tmp_path, trec_vectors):
    config = _config(tmp_path, trec_vectors)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "flair_hpo.cli", "run", str(config)],
        env=_environment(),
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=600,
    )
    child.expect(pexpect.EOF)
    child.close()
    seen = child.before
    assert child.exitstatus == 0, seen[-3000:]
    assert "\x1b[" in seen  # drawn, not printed line by line
    text = _screen_text(seen)
    # The status: trials by status, the best so far with its configuration, time, the epoch with a bar.
    assert re.search(r"trials\s+\d+ complete · \d+ pruned · \d+ failed · 1 running", text), text[-3000:]
    assert re.search(r"best\s+0\.\d{4} \(trial \d\): .*ModelTrainer\.learning_rate=", text)
    assert re.search(r"elapsed \d:\d\d:\d\d · about \d:\d\d:\d\d left \(\d of 2 runs left\)", text)
    assert re.search(r"epoch [12]/2 .*━", text)
    assert re.search(r"\d+/\d+ batches", text)
    # The log lines stay above it: a line per trial, none per epoch (the status shows epochs).
    assert "trial 1 started" in text and "trial 1 complete" in text
    assert "| epoch 1/2 |" not in text
    assert text.count(SUMMARY) == 1
    assert not LONG_FLOAT.search(text), LONG_FLOAT.search(text)
    assert "Warning" not in text


@pytest.mark.integration
def test_without_a_terminal_plain_lines_and_with_quiet_a_line_per_trial(tmp_path, trec_vectors):
    config = _config(tmp_path, trec_vectors)
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config)]
    plain = subprocess.run(command, capture_output=True, text=True, env=_environment(), timeout=600)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert "\x1b" not in plain.stdout
    assert "trial 0 | epoch 1/2 | dev micro_f1_score" in plain.stdout and "trial 1 | epoch 2/2" in plain.stdout
    assert plain.stdout.count(SUMMARY) == 1
    assert not LONG_FLOAT.search(plain.stdout)
    assert "Warning" not in plain.stderr, plain.stderr

    # Resumed with one more run and --quiet: the new trial's lines, no epoch lines, the summary once.
    write(config, {**_config_data(config), "budget": {"runs": 3}})
    quiet = subprocess.run([*command, "--quiet"], capture_output=True, text=True, env=_environment(), timeout=600)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert "trial 2 started" in quiet.stdout and "trial 2 complete" in quiet.stdout
    assert "| epoch" not in quiet.stdout
    assert quiet.stdout.count(SUMMARY) == 1


def _config_data(path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


@pytest.mark.integration
def test_a_long_epoch_says_how_far_it_is_in_plain_lines(trec_corpus, trec_vectors, tmp_path, monkeypatch):
    """Without a terminal, an epoch longer than BATCH_LINE_SECONDS prints where it is (here: at every report)."""
    from flair_hpo.orchestration import progress

    from .helpers import search_log, small_trec_search

    monkeypatch.setattr(progress, "BATCH_LINE_SECONDS", 0.0)
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=1).optimize()
    batches = [line for line in search_log(tmp_path).splitlines() if "| batch " in line]
    assert batches and all(re.search(r"trial 0 \| epoch [12]/2 \| batch \d+/\d+", line) for line in batches)


def test_the_time_left_runs_down_during_a_trial():
    """With a time budget, an epoch line says what is left now, not what was left when the trial started."""
    import logging
    import time

    from flair_hpo.orchestration.progress import ProgressDisplay
    from flair_hpo.results.events import EpochEnded, TrialStarted

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    log = logging.getLogger("flair_hpo")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        display = ProgressDisplay("dev micro_f1_score", 2)
        started = TrialStarted(0, {}, 1, 0, None, None, "0:01:40 left", seconds_left=100.0, timed=True)
        display.trial_started(started)
        time.sleep(2.1)
        display.epoch_ended(EpochEnded(0, 1, 0.5, 0.5, 1.0, 1.0))
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert re.search(r"\| 0:01:3[5-7] left$", lines[-1]), lines
