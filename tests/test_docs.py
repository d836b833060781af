"""Every code block of README.md and docs/*.md runs as written, here: Python blocks in a fresh interpreter,
shell blocks with bash, a page's blocks in order in one folder (:func:`tests.helpers.docs_project`). A page
whose commands fall into parts that need nothing of each other runs them as scenes (SCENES), each a test of
its own in a folder of its own. What a machine without a model hub lacks is put in place by plain text
replacements on the page (a hub model becomes the offline MiniLM, GloVe small word vectors trained on the
corpus, a 24-hour budget two runs); nothing else of a block is changed. A scene that starts with exactly the
commands another test runs (SHARED) is checked against the result of that run, made once per test session,
and goes on from a copy of its folder. Blocks marked ``text`` are output, not code, and are not run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO
from .helpers import EXAMPLE_COMMANDS, copy_study, docs_project, quickstart_commands, run_commands

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUN = {"python", "bash"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


@dataclass
class Block:
    language: str
    code: str
    line: int


def blocks(text: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), text[: m.start()].count("\n") + 1) for m in FENCE.finditer(text)]


def test_every_block_says_whether_it_is_code_or_output():
    for page in PAGES:
        for block in blocks(page.read_text(encoding="utf-8")):
            assert block.language in RUN | {"text", "yaml"}, f"{page.name}:{block.line}: say ```python, bash or text"


def _offline(minilm: str, vectors: Path) -> list[tuple[str, str]]:
    """What every page needs changed to run on a machine without a model hub, in seconds rather than hours."""
    return [
        ("WordEmbeddings('glove')", f"WordEmbeddings({str(vectors)!r})"),
        ('WordEmbeddings("glove")', f"WordEmbeddings({str(vectors)!r})"),
        ('FlairEmbeddings("news-forward")', f"WordEmbeddings({str(vectors)!r})"),
        ("bert-base-cased", minilm),
        ("xlm-roberta-large", minilm),
        ("sentence-transformers/all-MiniLM-L6-v2", minilm),
    ]


#: Per page: what makes its searches small (a part of the corpus, two runs, one epoch).
SMALL = {
    "README.md": [
        ("corpus = TREC_6()", "corpus = TREC_6().downsample(0.05)"),
        ("parameter.Budget.TIME_IN_H, 24", "parameter.Budget.RUNS, 2"),
        ("add_max_epochs_per_training_run(25)", "add_max_epochs_per_training_run(1)"),
        ("--recipe classifier-frozen --runs 20", "--recipe classifier-frozen --runs 2 --epochs 1 --model MINILM"),
    ],
    "command-line.md": [
        ("--recipe tagger-frozen --epochs 5 --runs 10", "--recipe tagger-frozen --epochs 1 --runs 2 --model MINILM"),
        (
            "--recipe ner-fine-tune --hours 12",
            "--recipe ner-fine-tune --model MINILM --downsample 0.02 --runs 1 --epochs 1",
        ),
    ],
}

#: Per page: the commands (by how they start) where a scene starts, and the files each scene promises to leave
#: in its folder. A page's first command starts a scene; a page not named here is one scene.
SCENES: dict[str, dict[str, list[str]]] = {
    "README.md": {
        "flair-hpo run --corpus data/questions": ["retrained/questions/best-model.pt"],
        "from flair.datasets import TREC_6": ["hyperopt/trec6/best-model.pt"],
    },
    "command-line.md": {
        "flair-hpo run --corpus data/ner": ["hyperopt/ner-tagger-frozen/retrained/best-model.pt"],
        "flair-hpo run --dataset WNUT_17": ["hyperopt/wnut_17-ner-fine-tune/best-model.pt"],
        "flair-hpo run examples/trec6.yaml": ["hyperopt/trec6-yaml/final-model.pt", "hyperopt/trec6-yaml/report.html"],
        "flair-hpo --version": [],
    },
}

#: Runs that other tests make of a page's commands, once per test session: the fixture, and its commands (for
#: the offline MiniLM). A scene that starts with them takes that run's result and folder.
SHARED: dict[str, Callable[[str], list[str]]] = {
    "quickstart_run": quickstart_commands,  # test_cli_corpus.py's FastText folder
    "example_run": lambda minilm: EXAMPLE_COMMANDS,  # test_cli.py::test_the_example_yaml_runs
}


@dataclass
class Step:
    """A Python block, or one command of a bash block (its comment left off), of a page after the replacements."""

    language: str
    code: str
    line: int
    block: int


def steps(page: str, minilm: str, vectors: Path, study: dict[str, str] | None = None) -> list[Step]:
    """The page's code to run, in order, with what makes it small and offline put in place (``study``: the
    PostgreSQL URL and study name of many-machines.md)."""
    text = (REPO / page if page == "README.md" else REPO / "docs" / page).read_text(encoding="utf-8")
    changes = list(SMALL.get(page, []))
    if page == "many-machines.md":  # machine A and machine B are two processes here, on the test's PostgreSQL
        changes += [
            ("postgresql://flair@db-host/hpo", study["storage"]),
            ("--study trec6 ", f"--study {study['study_name']} "),
            ("--workers 0 ", "--workers 0 & creator=$! "),
            ("--allow-path /data/vectors", f"--allow-path {vectors.parent} --allow-path MINILM\nwait $creator"),
        ]
    for old, new in changes:  # what makes this page's searches small: it must still say it
        assert old in text, f"{page} no longer says {old!r}: change the test with the page"
        text = text.replace(old, new)
    for old, new in _offline(minilm, vectors):
        text = text.replace(old, new)
    text = text.replace("MINILM", minilm)
    found: list[Step] = []
    for number, block in enumerate(blocks(text)):
        if block.language == "python":
            found.append(Step("python", block.code, block.line, number))
        elif block.language == "bash":  # a command a line
            for i, line in enumerate(block.code.splitlines()):
                command = re.sub(r"(^|\s+)#.*$", "", line).strip()
                if command:
                    found.append(Step("bash", command, block.line + 1 + i, number))
    return found


def scenes(page: str, found: list[Step]) -> list[list[Step]]:
    """The page's steps, cut where SCENES says a scene starts (at the first command that starts so)."""
    starts = list(SCENES.get(page, {}))
    parts: list[list[Step]] = []
    for step in found:
        start = next((start for start in starts if step.code.startswith(start)), None)
        if start is not None:
            starts.remove(start)
        if not parts or start is not None:
            parts.append([])
        parts[-1].append(step)
    return parts


def _scenes_to_run() -> list:
    """(page, scene) of every scene to run, named by the page and line where it starts."""
    found = {
        path.name: steps(path.name, "MINILM", Path("/vectors/trec.kv"), {"storage": "URL", "study_name": "STUDY"})
        for path in PAGES
    }
    return [
        pytest.param(page, i, id=f"{page}:{scene[0].line}")
        for page, page_steps in found.items()
        for i, scene in enumerate(scenes(page, page_steps))
    ]


def test_every_scene_and_shared_run_starts_at_a_command_of_its_page():
    """SCENES and SHARED keep up with the pages: each names the start of a scene (else the page changed)."""
    for page, starts in SCENES.items():
        found = steps(page, "MINILM", Path("/vectors/trec.kv"))
        for start in starts:
            assert any(step.code.startswith(start) for step in found), f"{page} has no command {start!r}"
    firsts = [
        [step.code for step in scene[: len(SHARED[name]("MINILM"))]]
        for page in SCENES
        for scene in scenes(page, steps(page, "MINILM", Path("/vectors/trec.kv")))
        for name in SHARED
    ]
    for name, commands in SHARED.items():
        assert commands("MINILM") in firsts, f"no page starts a scene with {name}'s commands: change them with it"


def _run_python(step: Step, page: str, folder: Path) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-c", step.code],
        cwd=folder,
        env={**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    shown = f"{step.code}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"{page}:{step.line} failed:\n{shown}"


@pytest.mark.integration
@pytest.mark.parametrize("page, scene", _scenes_to_run())
def test_the_code_blocks_of_a_page_run(page, scene, tmp_path, minilm_path, trec_vectors, request):
    study: dict[str, str] = {}
    if page == "many-machines.md":
        study = {"storage": request.getfixturevalue("postgres_url"), "study_name": f"trec6-docs-{uuid.uuid4().hex[:8]}"}
    todo = scenes(page, steps(page, minilm_path, trec_vectors, study))[scene]
    promised = next((files for start, files in SCENES.get(page, {}).items() if todo[0].code.startswith(start)), [])
    folder = tmp_path / "project"
    for name, shared in SHARED.items():  # the commands another test runs: checked from its run
        commands = shared(minilm_path)
        if not study and [step.code for step in todo[: len(commands)]] == commands:
            run = request.getfixturevalue(name)
            run.assert_succeeded()
            copy_study(run.folder, folder)
            todo = todo[len(commands) :]
            break
    else:
        docs_project(folder, minilm_path, **study)
    while todo:  # the commands of a bash block run in one shell, one after the other
        step = todo.pop(0)
        if step.language == "python":
            _run_python(step, page, folder)
            continue
        script = [step]
        while todo and todo[0].block == step.block:
            script.append(todo.pop(0))
        run = run_commands(folder, ["\n".join(s.code for s in script)])
        assert run.codes == [0], f"{page}:{script[0].line} failed:\n{run.commands[0]}\n{run.outputs[0][-5000:]}"
    for file in promised:  # what the scene promises to leave behind
        assert (folder / file).exists(), f"{page}: {file} is not there"
    shutil.rmtree(folder / "hyperopt", ignore_errors=True)


def test_every_link_between_the_pages_leads_to_a_file_and_heading():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]*\.md|[^)#:]*\.png)?(#[^)]*)?\)", page.read_text(encoding="utf-8")):
            file, anchor = target
            linked = (page.parent / file) if file else page
            assert linked.exists(), f"{page.name} links to {file}, which is not there"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", linked.read_text(encoding="utf-8"), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
                assert anchor[1:] in slugs, f"{page.name} links to {file}{anchor}, which has no such heading"
