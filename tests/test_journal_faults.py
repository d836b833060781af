"""A study journal survives a full disk and a torn last record: real faults (a really full tmpfs, a file really
cut in the middle of a record), never a mock of one.

Before flair-hpo kept the journal itself, a full disk left half a record in the file, the next append was glued
onto it, and from then on no command could read the study again; so did a writer killed in the middle of an
append (a crash, a power loss, an NFS lock broken after its grace period).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.study import StudyDirection

from flair_hpo.cli import main
from flair_hpo.errors import DiskFullError
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.study import JOURNAL_FILE, open_storage

from .faults import FILLER, fill_disk
from .helpers import child_command, small_trec_search

REPO = Path(__file__).resolve().parents[1]
#: Megabytes of the tmpfs a search fills: room for its journal, logs and best-model.pt (about 0.7 MB at most,
#: the previous best model and its replacement together); the word vectors are read from elsewhere.
DISK_MB = 2


def records(base_path: Path) -> list:
    return open_for_reading(base_path).history.records


# ------------------------------------------------------------------------------------------------- a full disk
@pytest.mark.integration
@pytest.mark.parametrize(
    "moment", [("1", "recorded"), ("2", "1")], ids=["right-after-trial-1", "in-trial-2-after-epoch-1"]
)
def test_a_search_whose_disk_fills_up_stops_in_one_line_and_resumes_once_space_is_freed(
    trec_corpus, trec_vectors, small_disk, moment
):
    """The disk fills (the journal's last block too) right after trial 1 is recorded, so that the study's next
    record is the write that fails; or in the middle of trial 2, which is then held by a process that stopped.
    The search stops with one line, as ``flair-hpo run`` prints it; once space is freed, the same search
    resumes with every finished trial, trains again the one it held, and nothing finished twice."""
    base_path = small_disk(DISK_MB) / "search"
    trial, at = moment
    command = child_command("fill-disk", base_path, trec_vectors, "--runs", 4, "--trial", trial, "--at", at)
    stopped = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert stopped.returncode == 1, stopped.stderr
    said = stopped.stderr.splitlines()
    assert len(said) == 1, stopped.stderr  # no traceback, no retries, no logging errors
    assert said[0].startswith(f"flair-hpo: error: no space left on the device of {base_path}")
    assert "free space and run the same command again" in said[0]
    before = records(base_path)  # the journal reads, with everything finished before the disk filled
    assert [(r.number, r.status) for r in before[:2]] == [(0, "complete"), (1, "complete")]
    # Trial 2, in training when the disk filled, is held by the stopped process, or was queued again before
    # the process stopped.
    held = [r for r in before if r.status in ("running", "interrupted")]
    assert [r.number for r in held] == ([2] if moment[0] == "2" else [])

    (base_path / FILLER).unlink()
    result = small_trec_search(trec_corpus, base_path, trec_vectors, runs=4).optimize()

    after = records(base_path)
    complete = [r.key for r in after if r.status == "complete"]
    assert result.trials["complete"] == 4 == len(complete) == len(set(complete))  # none trained twice
    assert [(r.number, r.value) for r in after[:2]] == [(r.number, r.value) for r in before[:2]]
    assert {r.status for r in after} == ({"complete", "interrupted"} if held else {"complete"})
    assert all(r.key in complete for r in held)  # the trial held when the disk filled was trained again


def test_an_append_that_finds_the_disk_full_leaves_the_journal_as_it_was(small_disk):
    """Optuna's own append leaves half a record on a full disk; a search's storage (which rides out outages)
    must not retry a full disk, and the file must stay exactly as it was."""
    folder = small_disk(1)
    journal = folder / JOURNAL_FILE
    storage = open_storage(None, folder, heartbeat_interval=1)  # with retries, as a search opens it
    study_id = storage.create_new_study([StudyDirection.MAXIMIZE], "s")
    storage.set_study_user_attr(study_id, "before", 1)
    filler = fill_disk(folder)
    written = journal.read_bytes()

    with pytest.raises(DiskFullError, match=re.escape(f"no space left on the device of {journal}; free space and run")):
        storage.set_study_user_attr(study_id, "large", "x" * 100_000)  # more than any block left
    assert journal.read_bytes() == written

    filler.unlink()
    storage.set_study_user_attr(study_id, "after", 2)
    fresh = open_storage(None, folder, heartbeat_interval=None)  # a new JournalStorage replays the file
    assert fresh.get_study_user_attrs(study_id) == {"before": 1, "after": 2}


# ---------------------------------------------------------------------------------------- a torn last record
def cut_in_last_record(journal: Path) -> int:
    """Cut ``journal`` in the middle of its last line, as a writer killed during an append leaves it; the
    bytes of that line left in the file."""
    data = journal.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    left = (len(data) - start) // 2
    os.truncate(journal, start + left)
    return left


@pytest.mark.integration
def test_a_search_resumes_on_a_journal_torn_in_its_last_record(trec_corpus, trec_vectors, tmp_path, caplog, capsys):
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2).optimize()
    finished = [(r.number, r.status, r.value) for r in records(tmp_path)]
    journal = tmp_path / JOURNAL_FILE
    torn = cut_in_last_record(journal)
    cut = journal.read_bytes()

    assert main(["show", str(tmp_path)]) == 0  # reading a torn journal works, and changes nothing
    assert capsys.readouterr().out.count("complete") == 2
    assert journal.read_bytes() == cut

    with caplog.at_level(logging.INFO, logger="flair_hpo"):
        result = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=3).optimize()
    warnings = [r.getMessage() for r in caplog.records if r.name == "flair_hpo" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(journal) in warnings[0] and f"last {torn} bytes were cut" in warnings[0]
    now = records(tmp_path)
    assert [(r.number, r.status, r.value) for r in now[:2]] == finished  # every finished trial kept
    complete = [r.key for r in now if r.status == "complete"]
    assert result.trials["complete"] == 3 == len(complete) == len(set(complete))
    assert main(["show", str(tmp_path)]) == 0 and capsys.readouterr().out.count("complete") == 3


def test_a_torn_record_another_writer_left_is_cut_before_the_next_append(tmp_path, caplog):
    """A worker killed in the middle of an append, while another worker has the study open: the next append
    of the living one cuts the torn record first, and every process can read the study afterwards."""
    journal = tmp_path / JOURNAL_FILE
    living = open_storage(None, tmp_path, heartbeat_interval=1)
    study_id = living.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = living.create_new_trial(study_id)
    whole = journal.read_bytes()
    with open(journal, "ab") as killed:  # half of the record a killed worker was appending
        killed.write(b'{"op_code":8,"worker_id":"gone","trial_id":0,"user_attr":{"note":"hal')

    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        living.set_trial_user_attr(trial_id, "kept", 1)
    assert len([r for r in caplog.records if "torn record" in r.getMessage()]) == 1
    assert journal.read_bytes().startswith(whole)
    again = optuna.load_study(study_name="s", storage=open_storage(None, tmp_path, heartbeat_interval=None))
    assert again.trials[0].user_attrs == {"kept": 1}


def test_a_last_line_that_is_not_json_is_cut_when_a_search_opens_the_journal(tmp_path, caplog):
    """A last record with its newline but not JSON (a torn record that an earlier version glued the next one
    onto): cut when a search opens the journal, once; a line that is no record of Optuna's is left alone."""
    journal = tmp_path / JOURNAL_FILE
    first = open_storage(None, tmp_path, heartbeat_interval=1)
    study_id = first.create_new_study([StudyDirection.MINIMIZE], "s")
    first.set_study_user_attr(study_id, "kept", 1)
    whole = journal.read_bytes()
    glued = b'{"op_code":2,"worker_id":"gone","study_id":0,"user_at{"op_code":2,"worker_id":"x","study_id":0}\n'
    with open(journal, "ab") as killed:
        killed.write(glued)

    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        opened = open_storage(None, tmp_path, heartbeat_interval=1)
        open_storage(None, tmp_path, heartbeat_interval=1)
    said = [r.getMessage() for r in caplog.records if r.name == "flair_hpo"]
    assert len(said) == 1 and f"last {len(glued)} bytes were cut" in said[0]
    assert journal.read_bytes() == whole
    opened.set_study_user_attr(study_id, "after", 2)
    fresh = open_storage(None, tmp_path, heartbeat_interval=None)
    assert fresh.get_study_user_attrs(study_id) == {"kept": 1, "after": 2}

    journal.write_bytes(whole + b"not a record of Optuna's\n")  # another program's line: not ours to cut
    open_storage(None, tmp_path, heartbeat_interval=1)
    assert journal.read_bytes().endswith(b"not a record of Optuna's\n")
