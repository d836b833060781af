"""The embedding cache under real faults: a disk that fills while an entry is written, bytes of an entry changed
anywhere (before it is opened, or while a trial trains on it), and a computation killed halfway. Each of these
was reproduced against an earlier version: a SIGBUS that killed the search, damaged rows served without notice
(every trial failing on a NaN and counted), a killed computation that started again from zero."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from flair_hpo.results.events import Listeners
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.training.corpus_reference import load_corpus
from flair_hpo.training.embedding_store import EmbeddingStore
from flair_hpo.training.store_files import sentence_key

from .faults import FILLER, fill_disk, free_bytes
from .helpers import search_log, small_trec_search, trec_config, vectors_of, write

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
NAN = float("nan")


def statuses(base_path: Path) -> list[str]:
    return [r.status.value for r in open_for_reading(base_path).history.records]


# ------------------------------------------------------------------------------ a disk that fills while writing
def test_a_disk_that_fills_while_an_entry_is_written_stops_in_one_line_and_resumes(small_disk, tmp_path, trec_vectors):
    """The cache's disk (over 1 GB, so that earlier versions wrote the entry too) fills up just after the entry's
    vectors file was begun. The rows go to space reserved before the first was computed: no SIGBUS. A small
    file written after that finds no space: one line, exit 1, as a full base_path gives; once space is freed,
    the same command computes the entry and completes the search."""
    disk = small_disk(1100)
    cache = disk / "embeddings"
    config = write(tmp_path / "c.yaml", trec_config(tmp_path, trec_vectors))
    env = {**os.environ, "FLAIR_HPO_CACHE": str(disk)}
    command = [sys.executable, "-m", "tests.fault_runs", "fill-cache", str(cache), str(config)]
    stopped = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=600)

    assert stopped.returncode == 1, (stopped.returncode, stopped.stderr[-3000:])  # -7 was the SIGBUS
    said = stopped.stderr.splitlines()
    assert len(said) == 1 and said[0].startswith(f"flair-hpo: error: no space left on the device of {cache}"), said
    assert "free space and run the same command again" in said[0]
    assert free_bytes(disk) < 1 << 20  # the disk really was full

    (cache / FILLER).unlink()
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config)]
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert statuses(tmp_path / "trec").count("complete") == 2
    assert len(list(cache.glob("*.index"))) == 1 and not list(cache.glob("*.partial"))


def test_workers_writing_entries_at_once_see_each_others_reservations(small_disk, tmp_path, trec_corpus, trec_vectors):
    """Two workers compute two entries (the two halves of a corpus) at once, on a disk with room for one and a
    half: the first reserves all its space before its first row; the second, started while the first computes,
    finds that space taken and does not store its entry (its embedding is then computed per trial, as it says)
    rather than both filling the disk. The first then completes its entry."""
    disk = small_disk(16)
    cache = disk / "embeddings"
    sentences = list(trec_corpus.get_all_sentences())
    halves = [sentences[: len(sentences) // 2], sentences[len(sentences) // 2 :]]
    sizes = [sum(len(s) for s in {sentence_key(s): s for s in half if len(s)}.values()) * 32 * 4 for half in halves]
    stats = os.statvfs(disk)
    headroom = min(1 << 30, stats.f_blocks * stats.f_frsize // 20)
    fill_disk(disk, leave=headroom + sizes[0] + sizes[1] // 2)
    pause = tmp_path / "paused"

    def worker(half: int, *more: str) -> list[str]:
        return [sys.executable, "-m", "tests.fault_runs", "entry", str(cache), str(trec_vectors), str(half), *more]

    first = subprocess.Popen(worker(0, str(pause)), cwd=REPO, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not pause.exists():  # the first has reserved its space and computes its rows
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    second = subprocess.run(worker(1), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0 and second.stdout.splitlines()[-1] == "not stored", second.stderr[-3000:]
    assert "it is not stored, so every trial computes it" in second.stderr
    pause.unlink()
    assert first.wait(timeout=300) == 0 and first.stdout.read().splitlines()[-1] == "stored"
    assert len(list(cache.glob("*.index"))) == 1 and not list(cache.glob("*.partial"))


# ------------------------------------------------------------------------------------------ damaged bytes
def sampled_rows(rows: int, probe_rows: int) -> set[int]:
    """The rows that earlier versions checked when an entry was opened: 64 evenly spaced, and the probe's."""
    return {round(i * (rows - 1) / 63) for i in range(64)} | set(range(probe_rows))


def test_rows_changed_between_any_two_rows_checked_before_are_noticed(trec_corpus, trec_vectors, tmp_path, caplog):
    """Every row but the ones earlier versions sampled set to 9.2e37, in place: the entry is computed again,
    and what is served is what the embedding computes."""
    from flair.embeddings import WordEmbeddings

    sentences = list(trec_corpus.get_all_sentences())
    entry = EmbeddingStore(tmp_path).entry(WordEmbeddings(str(trec_vectors)), sentences)
    rows, dimension = entry.vectors.shape
    probe_rows = len(sentences[0])
    kept = sampled_rows(rows, probe_rows)
    vectors_file = next(tmp_path.glob("*.vectors"))
    with vectors_file.open("r+b") as handle:
        for row in range(rows):
            if row not in kept:
                handle.seek(row * dimension * 4)
                handle.write(torch.full((dimension,), 9.2e37).numpy().tobytes())
    del entry

    fresh = WordEmbeddings(str(trec_vectors))
    picked = sentences[1:4] + sentences[len(sentences) // 2 : len(sentences) // 2 + 3]
    expected = [vectors_of(fresh, s) for s in picked]
    with caplog.at_level("WARNING", logger="flair_hpo"), EmbeddingStore(tmp_path).serving(fresh, sentences) as served:
        assert served == [fresh.name]
        for sentence, want in zip(picked, expected, strict=True):
            assert torch.allclose(vectors_of(fresh, sentence), want, atol=1e-5)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "damaged" in warnings[0] and "checksums" in warnings[0], warnings


def test_a_trial_that_fails_on_vectors_damaged_while_it_trains_is_not_counted(
    trec_corpus, trec_vectors, tmp_path, monkeypatch
):
    """The entry's vectors file is overwritten with NaN on disk after trial 0's first epoch (the trial reads it
    through a memory map, so it sees the change): its loss becomes NaN. The failure is the machine's, not the
    configuration's: the trial is queued again and not counted, the entry is computed anew, and the budget
    trains both configurations to a score."""
    cache = tmp_path / "cache"
    original = Listeners.epoch_ended

    def damage_after_first_epoch(self, event):
        original(self, event)
        if (event.trial, event.epoch) == (0, 1):
            (vectors_file,) = cache.glob("*.vectors")
            size = vectors_file.stat().st_size
            with vectors_file.open("r+b") as handle:
                handle.write(torch.full((size // 4,), NAN).numpy().tobytes())

    monkeypatch.setattr(Listeners, "epoch_ended", damage_after_first_epoch)
    base_path = tmp_path / "search"
    result = small_trec_search(trec_corpus, base_path, trec_vectors, runs=2, embedding_store=cache).optimize()

    records = open_for_reading(base_path).history.records
    assert [(r.number, r.status.value) for r in records][:1] == [(0, "interrupted")], records
    assert "changed on disk" in records[0].error and "computed anew" in records[0].error
    assert result.trials["complete"] == 2 and result.trials["failed"] == 0
    assert "the stored vectors" not in search_log(base_path)  # the failed trial removed it: computed anew


# ------------------------------------------------------------------------------- a computation killed halfway
def minilm_config(tmp_path: Path, minilm_path: str) -> Path:
    config = trec_config(tmp_path, tmp_path / "unused.kv", budget={"runs": 1})
    config["parameters"] = {
        "ModelTrainer.learning_rate": [0.1],
        "TransformerDocumentEmbeddings.model": [minilm_path],
        "TransformerDocumentEmbeddings.fine_tune": [False],
    }
    return write(tmp_path / "minilm.yaml", config)


def test_a_computation_killed_halfway_continues_from_its_last_chunk(tmp_path, minilm_path):
    """``flair-hpo run`` killed with -9 while it computes a transformer's entry (once a chunk is on disk): the
    same command continues from the last chunk written (the log says from which sentence), and the entry it
    completes serves what the transformer computes."""
    from flair.embeddings import TransformerDocumentEmbeddings

    cache = tmp_path / "machine-cache"
    env = {**os.environ, "FLAIR_HPO_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    config = minilm_config(tmp_path, minilm_path)
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config)]
    with open(tmp_path / "first.log", "w") as out:
        first = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 300
    while not list((cache / "embeddings").glob("*.progress")):  # a chunk is on disk
        assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-3000:]
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not list((cache / "embeddings").glob("*.index"))  # killed before the entry was complete

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    said = [line for line in search_log(tmp_path / "trec").splitlines() if "TransformerDocumentEmbeddings" in line]
    continuing = [line for line in said if "continuing" in line]
    assert len(continuing) == 1, said
    start, total = (int(n) for n in re.search(r"from sentence (\d+) of (\d+)", continuing[0]).groups())
    assert 0 < start < total
    assert sum("once for" in line for line in said) == 1  # begun once, in the first run only

    sentences = list(load_corpus({"dataset": "TREC_6", "downsample": 0.1}).get_all_sentences())  # the search's
    fresh = TransformerDocumentEmbeddings(minilm_path, fine_tune=False)
    picked = [sentences[1], sentences[len(sentences) // 2], sentences[-1]]
    expected = [vectors_of(fresh, s) for s in picked]
    with EmbeddingStore(cache / "embeddings").serving(fresh, sentences) as served:
        assert served == [fresh.name]
        for sentence, want in zip(picked, expected, strict=True):
            assert torch.allclose(vectors_of(fresh, sentence), want, atol=1e-4)
    assert len(list((cache / "embeddings").glob("*.index"))) == 1  # the entry the search completed was served
