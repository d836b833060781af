"""The console for people: configurations by what varies (what every trial shares said once), log lines
wrapped between words, a time left measured or said to be unknown, and `show` into a file with every column."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys

from rich.console import Console

from flair_hpo import parameters as parameter
from flair_hpo import search_spaces, search_strategies
from flair_hpo.orchestration import live
from flair_hpo.orchestration.console import _TerminalLines
from flair_hpo.orchestration.live import LiveStatus
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.records import TrialRecord, TrialStatus
from flair_hpo.results.events import SearchStarted, TrialFinished, TrialStarted
from flair_hpo.training.scoring import Objective

from .conftest import REPO
from .helpers import journal_study, steered

FIXED = "TransformerDocumentEmbeddings(bert-base-cased, fine_tune=False, layers=-1, cls_pooling=cls)"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _space() -> search_spaces.TextClassifierSearchSpace:
    space = steered(search_spaces.TextClassifierSearchSpace(), budget=(parameter.Budget.RUNS, 4))
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16])
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    space.add_parameter(parameter.DocumentRNNEmbeddings.RNN_LAYERS, options=[1, 2])
    space.add_parameter(parameter.DocumentRNNEmbeddings.DROPOUT, options=[0.1, 0.25])
    return space


def _stored_space() -> dict:
    """The space as the study stores it, its one document embedding a long one (every trial has it)."""
    data = _space().to_dict()
    data["dimensions"][0].update(labels=[FIXED])
    return data


def _labels(rate: float) -> dict:
    return {"ModelTrainer.learning_rate": rate, "DocumentRNNEmbeddings.hidden_size": 16, "document_embeddings": FIXED}


def _started(number: int, left: int, best: tuple[int, float] | None = None, **measured) -> TrialStarted:
    """Trial ``number`` starts, with the budget's figures a search gives: the study's median estimate of a few
    seconds (its trials were short ones), which the status must not show as the time left."""
    best_labels = _labels(0.1) if best else {}
    budget_left = f"{left} of 4 runs left"
    return TrialStarted(number, _labels(0.05), 1, 0, None, best, budget_left, best_labels, 7.0, **measured)


def _finished(number: int) -> TrialFinished:
    record = TrialRecord(number, TrialStatus.COMPLETE, _labels(0.05), 0.5, {}, None, None)
    return TrialFinished(record, "done")


def _shown(status: LiveStatus) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(status.render())
    return console.export_text()


def test_configurations_show_what_varies_and_what_every_trial_shares_is_said_once(caplog):
    started = SearchStarted("study", _stored_space(), {}, {}, "dev micro_f1_score")
    status = LiveStatus(Console(file=io.StringIO()), Objective.of(_space()), 3)
    lines = ProgressDisplay("dev micro_f1_score", 3, epochs_shown=False)
    with caplog.at_level(logging.INFO, logger="flair_hpo"):
        for listener in (status, lines):
            listener.search_started(started)
            listener.trial_started(_started(1, 3, best=(0, 0.6)))
    status.stop()
    shown = _shown(status)
    assert "learning_rate=0.05" in shown and "learning_rate=0.1" in shown  # the trial's and the best's
    assert FIXED not in shown and "document_embeddings" not in shown
    said = [record.getMessage() for record in caplog.records]
    assert said[0] == f"every trial: document_embeddings={FIXED}"
    assert said[1] == "trial 1 started (seed 1): ModelTrainer.learning_rate=0.05, DocumentRNNEmbeddings.hidden_size=16"
    assert sum(FIXED in line for line in said) == 1


def test_log_lines_on_a_terminal_wrap_between_words():
    out = io.StringIO()
    handler = _TerminalLines(Console(file=out, width=40, force_terminal=True, color_system=None))
    message = "trial 12 started (seed 3): ModelTrainer.learning_rate=0.05, DocumentRNNEmbeddings.hidden_size=128"
    handler.emit(logging.LogRecord("flair_hpo", logging.INFO, __file__, 1, message, None, None))
    printed = ANSI.sub("", out.getvalue()).splitlines()
    assert len(printed) > 1 and all(len(line) <= 40 for line in printed), printed
    assert " ".join(printed).split() == message.split()  # every word whole, on one line


def test_the_time_left_is_the_measured_pace_times_the_runs_left_or_unknown(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: now[0])
    status = LiveStatus(Console(file=io.StringIO()), Objective.of(_space()), 3)
    status.search_started(SearchStarted("study", _stored_space(), {}, {}, "dev micro_f1_score"))
    status.trial_started(_started(0, 4, runs_left=4))
    assert "time left unknown (4 of 4 runs left)" in _shown(status)  # no trial measured yet in this session
    now[0] += 60
    status.trial_finished(_finished(0))
    now[0] += 2  # between two trials
    status.trial_started(_started(1, 3, best=(0, 0.5), runs_left=3))
    assert "about 0:03:00 left (3 of 4 runs left)" in _shown(status)  # 60 s a trial: this one and 2 more
    now[0] += 32
    assert "about 0:02:28 left" in _shown(status)  # 28 s more of this one, then 2 x 60 s
    now[0] += 300
    assert "about 0:02:00 left" in _shown(status)  # this one ran long: the two after it are left
    status.stop()


def test_show_into_a_file_prints_every_parameter_column(tmp_path):
    """`flair-hpo show > file` (no terminal, no $COLUMNS): every parameter that varies has its column."""
    space = _space()
    _, study, store = journal_study(tmp_path, "flair-hpo")
    store.hold(space, search_strategies.GridSearch().settings(), "class", {"train": 10}, {})
    names = [d.name for d in space.dimensions]
    for value, options in (
        (0.5, ["DocumentRNNEmbeddings", 0.1, 8, 16, 1, 0.1]),
        (0.6, ["DocumentRNNEmbeddings", 0.05, 16, 32, 2, 0.25]),
    ):
        study.enqueue_trial(dict(zip(names, options, strict=True)))
        trial = study.ask()
        space.suggest(trial)
        study.tell(trial, value)
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    with open(tmp_path / "shown.txt", "w") as file:
        done = subprocess.run(
            [sys.executable, "-m", "flair_hpo.cli", "show", str(tmp_path)], stdout=file, env=env, timeout=120
        )
    assert done.returncode == 0
    header = (tmp_path / "shown.txt").read_text().splitlines()[0].split()
    assert {"learning_rate", "mini_batch_size", "hidden_size", "rnn_layers", "dropout"} <= set(header), header
    assert "more column" not in (tmp_path / "shown.txt").read_text()


def test_the_leaderboard_is_rounded_to_what_the_noise_allows(tmp_path, capsys):
    """500 dev sentences and a best score of 0.85: a score's standard error is 0.016, so scores have three
    decimals; a learning rate drawn from a range has three significant digits (report and `show` alike)."""
    from flair_hpo.cli import main
    from flair_hpo.records import keys
    from flair_hpo.results.report import write_report

    space = steered(search_spaces.TextClassifierSearchSpace(), budget=(parameter.Budget.RUNS, 4))
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.001, high=0.1, log=True)
    _, study, store = journal_study(tmp_path, "flair-hpo")
    corpus = {"train": 4000, "dev": 500, "test": 500, "dev_sha256": "0" * 16}
    store.hold(space, search_strategies.RandomSearch().settings(), "class", corpus, {})
    for rate, score in ((0.015505594182271563, 0.8473412), (0.0021234567, 0.7912345)):
        study.enqueue_trial({"document_embeddings": "DocumentRNNEmbeddings", "ModelTrainer.learning_rate": rate})
        trial = study.ask()
        space.suggest(trial)
        for key, value in ((keys.DEV_SCORE, score), (keys.DEV_LOSS, 0.4123456), (keys.DURATION, 12.345)):
            trial.set_user_attr(key, value)
        study.tell(trial, score)

    page = write_report(tmp_path).read_text(encoding="utf-8")
    board = page[page.index('id="leaderboard"') : page.index("</table>", page.index('id="leaderboard"'))]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", board.replace("<wbr>", ""))
    assert "0.847" in cells and "0.791" in cells and "0.0155" in cells and "0.00212" in cells, cells
    assert "0.8473" not in cells and not [cell for cell in cells if re.search(r"\d\.\d{6,}", cell)], cells
    assert main(["show", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "0.847 " in shown and "0.0155" in shown and "0.8473" not in shown, shown
