"""What matters is written atomically: a process killed (kill -9) in the middle of writing the leaderboard,
the best configuration or the best model leaves the previous complete version in place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flair_hpo.files import remove_stale_temporaries

# Run in a child process that kills itself (SIGKILL) halfway through writing the new version.
CHILD = r"""
import os, signal, sys
from pathlib import Path
from flair_hpo.results import best, leaderboard

target, what = Path(sys.argv[1]), sys.argv[2]

def half_then_die(self, text, *args, **kwargs):
    with open(self, "w") as handle:
        handle.write(text[: len(text) // 2])
    os.kill(os.getpid(), signal.SIGKILL)

class Model:  # stands in for a Flair model: its save() dies halfway
    def save(self, path):
        Path(path).write_bytes(b"half a model")
        os.kill(os.getpid(), signal.SIGKILL)

Path.write_text = half_then_die
if what == "leaderboard":
    leaderboard.write_leaderboard(target, [{"rank": 1, "trial": 9, "status": "complete", "value": 0.9}])
elif what == "best configuration":
    from flair_hpo.files import atomic_write_text  # what write_best_configuration writes with
    atomic_write_text(target, "configuration: {new: 1}\n")
else:
    best.save_model(Model(), target)
"""


@pytest.mark.parametrize(
    "what, name",
    [("leaderboard", "leaderboard.csv"), ("best configuration", "best-configuration.yaml"), ("model", "best-model.pt")],
)
def test_a_write_killed_halfway_leaves_the_previous_version(what, name, tmp_path: Path):
    target = tmp_path / name
    previous = b"the previous, complete version\n" * 100
    target.write_bytes(previous)
    child = subprocess.run([sys.executable, "-c", CHILD, str(target), what], capture_output=True)
    assert child.returncode == -9, child.stderr.decode()  # it really died in the middle
    assert target.read_bytes() == previous
    leftovers = [p for p in tmp_path.iterdir() if p.name != name]
    assert leftovers and all(p.name.startswith(f".{name}.") and p.name.endswith(".tmp") for p in leftovers)
    assert remove_stale_temporaries(tmp_path) == leftovers  # what the next search on this folder cleans up
    assert [p.name for p in tmp_path.iterdir()] == [name]
