"""The README's command-line quickstart, followed literally on a folder of one's own: its commands in the order
the README gives them, each checked for what the README says it does; then the README's prediction snippet on
the model that made. Only what a machine without a model hub and a test's time need is changed: a tiny budget
and the offline MiniLM as ``--model``, as the README tells such a machine to give it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FLAIR_CACHE, REPO

README = REPO / "README.md"
QUICKSTART = "## Quickstart: your own corpus, from the command line"
#: The labels of TREC_6's questions, which the folder below holds.
LABELS = {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}


def quickstart_commands() -> list[str]:
    section = README.read_text(encoding="utf-8").split(QUICKSTART, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the quickstart has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def prediction_snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    found = [block for block in blocks if ".predict(" in block]
    assert len(found) == 1, "the README has one prediction snippet"
    return found[0]


def own_folder(folder: Path) -> None:
    """A user's FastText folder, train/dev/test, of TREC_6's questions (label type: class, as Flair reads it)."""
    lines = (FLAIR_CACHE / "datasets" / "trec_6" / "train.txt").read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True)
    for name, part in (("train", lines[:200]), ("dev", lines[200:260]), ("test", lines[260:320])):
        (folder / f"{name}.txt").write_text("\n".join(part) + "\n", encoding="utf-8")


@pytest.mark.integration
def test_the_readme_quickstart_works_step_by_step(tmp_path, minilm_path):
    own_folder(tmp_path / "data" / "questions")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    commands = quickstart_commands()
    assert [shlex.split(c)[:2] for c in commands] == [
        ["flair-hpo", "run"],
        ["flair-hpo", "show"],
        ["flair-hpo", "train"],
        ["flair-hpo", "predict"],
    ], commands
    outputs = []
    for command in commands:
        if command.startswith("flair-hpo run"):  # tiny, and the hub's model as a folder here
            assert "--runs 20" in command
            command = command.replace("--runs 20", f"--runs 2 --epochs 1 --quiet --model {minilm_path}")
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        outputs.append(done.stdout)
    run, show, train, predict = outputs
    folder = shlex.split(commands[1])[2]  # the folder the README shows ...
    assert run.splitlines()[0].startswith(f"Search folder: {folder}")  # ... is the one the run says it writes
    assert (tmp_path / folder / "best-model.pt").is_file()
    assert show.split()[:3] == ["rank", "trial", "status"] and "best-configuration.yaml" in show
    assert re.search(r"dev micro_f1_score 0\.\d{4}, test micro_f1_score 0\.\d{4}", train), train
    assert "Model saved to retrained/questions/best-model.pt" in train and len(train.splitlines()) <= 4, train
    assert "Test data not provided" not in train and (tmp_path / "retrained/questions/training.log").is_file()
    label, text = predict.rstrip("\n").split("\t")
    assert label.split()[0] in LABELS and text == shlex.split(commands[3])[-1], predict

    # The README's prediction snippet, on the model of one's own folder (its labels are called class).
    snippet = prediction_snippet()
    assert 'TextClassifier.load("hyperopt/trec6/best-model.pt")' in snippet
    snippet = snippet.replace("hyperopt/trec6/best-model.pt", "retrained/questions/best-model.pt")
    done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.strip().splitlines()[-1]
    assert printed != "[]" and any(name in printed for name in LABELS), printed


def test_where_the_readme_points_to_the_recipes_they_are():
    from flair_hpo.space.recipes import RECIPES

    text = README.read_text(encoding="utf-8")
    pointers = []  # each link's page, with its words and those of its clause before it
    for m in re.finditer(r"\[([^\]]*)\]\(([^)#]+\.md)(#[^)]*)?\)", text):
        clause = max(text.rfind(mark, 0, m.start()) for mark in (". ", "; ", ")", "\n\n", "|"))
        pointers.append((m.group(2), text[clause + 1 : m.start()] + m.group(1)))
    to_recipes = [page for page, around in pointers if "recipe" in around.lower()]
    assert to_recipes, "the README points nowhere for the recipes"
    for page in to_recipes:
        named = (REPO / page).read_text(encoding="utf-8")
        assert all(f"`{name}`" in named for name in RECIPES), f"{page} is pointed to for the recipes, lacks some"
