"""`flair-hpo show`: a table that fits the terminal, read without loading torch or Flair."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from flair_hpo.cli import main

from .conftest import REPO
from .helpers import fasttext_folder, write

#: Runs `flair-hpo show` as the command does, then says whether torch or Flair was imported.
SHOW = (
    "import sys; from flair_hpo.cli import main; code = main(sys.argv[1:]); "
    "print(sorted({'torch', 'flair'} & set(sys.modules)))"
)


def show(*arguments: str, columns: int = 80) -> tuple[str, float]:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", SHOW, "show", *arguments], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, time.perf_counter() - started


@pytest.mark.integration
def test_show_prints_a_table_that_fits_without_importing_torch(tmp_path, minilm_path, capsys):
    config = {
        "corpus": {"folder": str(fasttext_folder(tmp_path / "questions"))},
        "base_path": str(tmp_path / "search"),
        "strategy": "grid",
        "budget": {"runs": 4},
        "max_epochs": 1,
        "pruner": "none",
        "parameters": {
            "TransformerDocumentEmbeddings.model": [minilm_path],
            "TransformerDocumentEmbeddings.fine_tune": [False],
            # MiniLM has 6 layers: asking for layer 12 fails in training, the configuration's own failure.
            "TransformerDocumentEmbeddings.layers": ["12", "-1"],
            "ModelTrainer.learning_rate": [0.1, 0.05],
        },
    }
    assert main(["run", str(write(tmp_path / "search.yaml", config))]) == 0
    capsys.readouterr()

    out, seconds = show(str(tmp_path / "search"), columns=100)
    table, _, rest = out.partition("\n\n")
    lines = table.splitlines()
    assert rest.rstrip().endswith("[]")  # neither torch nor flair was imported
    assert all(len(line) <= 100 for line in lines), table
    assert lines[0].split()[:3] == ["rank", "trial", "status"] and "layers" in lines[0] and "learning_rate" in lines[0]
    assert "model" not in lines[0].split()  # the same in every trial: said in best-configuration.yaml below
    failed = [line for line in lines if " failed " in line]
    assert len(failed) == 2 and all("IndexError" in line for line in failed), table
    assert any("0.05 " in line for line in lines[2:])  # rounded learning rates, as given
    print(f"flair-hpo show: {seconds:.2f} s in a new process")

    narrow, _ = show(str(tmp_path / "search"), columns=60)
    table = narrow.partition("\n\n")[0]
    assert all(len(line) <= 60 for line in table.splitlines()) and "a wider terminal or --all shows them" in table
    every, _ = show(str(tmp_path / "search"), "--all", columns=80)
    assert "TransformerDocumentEmbeddings.model" in every.splitlines()[0] and "best epoch" in every.splitlines()[0]


def test_show_gives_a_running_trial_its_epochs_so_far(tmp_path):
    """A trial in training, as a worker leaves it in the study between two epochs: `show` says how far it is."""
    from flair_hpo import parameters as parameter
    from flair_hpo import search_spaces, search_strategies

    from .helpers import journal_study, steered

    space = steered(search_spaces.TextClassifierSearchSpace(), epochs=5)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    _, study, store = journal_study(tmp_path, "flair-hpo")
    store.hold(space, search_strategies.RandomSearch().settings(), "class", {"train": 10}, {})
    done, running = study.ask(), study.ask()
    for trial, epochs in ((done, 5), (running, 2)):
        space.suggest(trial)
        for epoch in range(1, epochs + 1):
            trial.report(0.1 * epoch, epoch)
    study.tell(done, 0.5)

    header, _, *lines = show(str(tmp_path), columns=100)[0].partition("\n\n")[0].splitlines()
    (line,) = [line for line in lines if " running " in line]
    assert line[header.index("epochs") :].split()[0] == "2/5", lines  # epoch 2 of the 5 it may train
