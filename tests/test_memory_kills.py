"""A configuration too large for its machine's memory limit, under a real memory cgroup: the kernel kills the
process that trains it (SIGKILL, exit 137), run after run. Reproduced against an earlier version: each run of
the same command queued it again and was killed again, forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from flair_hpo.records import keys
from flair_hpo.study import open_storage

from .faults import MEMORY_CGROUPS, in_cgroup, memory_cgroup
from .helpers import trec_config, write

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
#: The cgroup's limit: room for a search with a small model, not for a GRU of 12,000 units (1.7 GB of weights).
LIMIT = 1536 * 1024**2


@pytest.fixture
def cgroup():
    if os.geteuid() != 0 or not MEMORY_CGROUPS.is_dir():
        pytest.skip("a memory cgroup of its own needs root and cgroup v1's memory hierarchy (as the test machine has)")
    group = memory_cgroup(f"flair-hpo-test-{uuid.uuid4().hex[:8]}", LIMIT)
    yield group
    group.rmdir()


def test_a_configuration_killed_for_memory_twice_is_recorded_failed_and_the_search_goes_on(
    cgroup, tmp_path, trec_vectors
):
    """``hidden_size: [12000, 16]`` in a 1.5 GB memory cgroup: the first two runs are killed by the kernel when
    they build the large model; the third records that configuration as failed ("killed while training (out of
    memory?) twice"), trains the other and ends with exit code 0."""
    config = trec_config(tmp_path, trec_vectors, strategy={"name": "grid"}, budget={"runs": 2})
    config["corpus"]["downsample"] = 0.05
    config["parameters"] = {
        "DocumentRNNEmbeddings.hidden_size": [12000, 16],
        "DocumentRNNEmbeddings.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": str(trec_vectors)}]],
    }
    command = in_cgroup(cgroup, [sys.executable, "-m", "flair_hpo.cli", "run", str(write(tmp_path / "c.yaml", config))])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    codes = []
    for _ in range(3):
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
        codes.append(done.returncode)
        if done.returncode == 0:
            break
    assert codes == [-signal.SIGKILL, -signal.SIGKILL, 0], done.stderr[-3000:]

    storage = open_storage(None, tmp_path / "trec", heartbeat_interval=None)
    trials = optuna.load_study(study_name="trec", storage=storage).get_trials()  # named after its folder
    big = [t for t in trials if t.params.get("DocumentRNNEmbeddings.hidden_size") == 12000]
    assert [t.user_attrs.get(keys.KILLED) for t in big] == [True, True]
    assert big[-1].state == TrialState.FAIL and big[-1].user_attrs[keys.ERROR] == (
        "killed while training (out of memory?) twice"
    )
    assert big[0].user_attrs[keys.ERROR].startswith("interrupted")  # the first death only queued it again
    small = [t for t in trials if t.params.get("DocumentRNNEmbeddings.hidden_size") == 16]
    assert [t.state for t in small] == [TrialState.COMPLETE]
    assert "killed while training (out of memory?) twice" in (tmp_path / "trec" / "flair-hpo.log").read_text()


def test_a_worker_killed_for_another_reason_is_not_counted_as_killed_for_memory(cgroup):
    """What a process on the same machine reads of a dead worker's cgroup: an out-of-memory kill there since
    the worker noted the count says memory; none says another cause (``kill -9``); another machine, unknown."""
    from flair_hpo.study.memory_kills import killed_for_memory, oom_counter

    code = "import json, sys; from flair_hpo.study.memory_kills import oom_counter; print(json.dumps(oom_counter()))"
    noted = subprocess.run(in_cgroup(cgroup, [sys.executable, "-c", code]), capture_output=True, text=True, check=True)
    owner = {"boot": Path("/proc/sys/kernel/random/boot_id").read_text().strip(), "oom": json.loads(noted.stdout)}
    assert owner["oom"]["file"] == str(cgroup / "memory.oom_control") and owner["oom"] != oom_counter()
    assert killed_for_memory(owner) is False  # nothing was killed there since

    hog = "x = bytearray(1 << 30); y = bytearray(1 << 30)"  # 2 GB in a 1.5 GB cgroup
    killed = subprocess.run(in_cgroup(cgroup, [sys.executable, "-c", hog]), capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert killed_for_memory(owner) is True
    assert killed_for_memory({**owner, "boot": "another-machine"}) is None
