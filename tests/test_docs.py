"""Every code block of README.md and docs/*.md runs as written, here: Python blocks in a fresh interpreter,
shell blocks with bash, each page's blocks in order in one folder. What a machine without a model hub lacks is
put in place by plain text replacements on the page (a hub model becomes the offline MiniLM, GloVe small word
vectors trained on the corpus, a 24-hour budget two runs); nothing else of a block is changed. Blocks marked
``text`` are output, not code, and are not run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .conftest import FLAIR_CACHE, REPO

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


def _environment() -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore", "FLAIR_CACHE_ROOT": str(FLAIR_CACHE)}


def _run(block: Block, page: str, folder: Path) -> None:
    command = [sys.executable, "-c", block.code] if block.language == "python" else ["bash", "-euo", "pipefail"]
    done = subprocess.run(
        command,
        input=None if block.language == "python" else block.code,
        cwd=folder,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    shown = f"{block.code}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"{page}:{block.line} failed:\n{shown}"


def _fasttext_folder(folder: Path, sizes: dict[str, int]) -> None:
    """A corpus folder as a user has one: FastText lines, train/dev/test (TREC_6's questions)."""
    folder.mkdir(parents=True)
    lines = (FLAIR_CACHE / "datasets" / "trec_6" / "train.txt").read_text(encoding="utf-8").splitlines()
    start = 0
    for split, size in sizes.items():
        (folder / f"{split}.txt").write_text("\n".join(lines[start : start + size]) + "\n", encoding="utf-8")
        start += size


def _column_folder(folder: Path, sizes: dict[str, int]) -> None:
    """A CoNLL folder as a user has one: a word and its tag per line, train/dev/test (WNUT_17's tweets)."""
    folder.mkdir(parents=True)
    text = (FLAIR_CACHE / "datasets" / "wnut_17" / "wnut17train.conll").read_text(encoding="utf-8")
    sentences = [s for s in text.split("\n\n") if s.strip()]
    start = 0
    for split, size in sizes.items():
        (folder / f"{split}.txt").write_text("\n\n".join(sentences[start : start + size]) + "\n", encoding="utf-8")
        start += size


def _small_example(folder: Path, minilm: str, **changes: object) -> None:
    """examples/trec6.yaml where the pages expect it, on 5% of TREC_6 with one epoch per trial."""
    config = yaml.safe_load((REPO / "examples" / "trec6.yaml").read_text(encoding="utf-8"))
    config["corpus"]["downsample"] = 0.05
    config["max_epochs_per_training_run"] = 1
    config.update(changes)
    text = yaml.safe_dump(config).replace("sentence-transformers/all-MiniLM-L6-v2", minilm)
    (folder / "examples").mkdir()
    (folder / "examples" / "trec6.yaml").write_text(text, encoding="utf-8")


@pytest.mark.integration
@pytest.mark.parametrize("page", [p.name for p in PAGES if any(b.language in RUN for b in blocks(p.read_text()))])
def test_the_code_blocks_of_a_page_run(page, tmp_path, minilm_path, trec_vectors, request):
    path = REPO / page if page == "README.md" else REPO / "docs" / page
    text = path.read_text(encoding="utf-8")
    changes = list(SMALL.get(page, []))
    study: dict[str, object] = {}
    if page == "many-machines.md":  # machine A and machine B are two processes here, on the test's PostgreSQL
        url, name = request.getfixturevalue("postgres_url"), f"trec6-docs-{uuid.uuid4().hex[:8]}"
        study = {"storage": url, "study_name": name}
        changes += [
            ("postgresql://flair@db-host/hpo", url),
            ("--study trec6 ", f"--study {name} "),
            ("--workers 0 ", "--workers 0 & creator=$! "),
            ("--allow-path /data/vectors", f"--allow-path {trec_vectors.parent} --allow-path MINILM\nwait $creator"),
        ]
    for old, new in changes:  # what makes this page's searches small: it must still say it
        assert old in text, f"{page} no longer says {old!r}: change the test with the page"
        text = text.replace(old, new)
    for old, new in _offline(minilm_path, trec_vectors):
        text = text.replace(old, new)
    text = text.replace("MINILM", minilm_path)
    _fasttext_folder(tmp_path / "data" / "questions", {"train": 400, "dev": 80, "test": 80})
    _column_folder(tmp_path / "data" / "ner", {"train": 300, "dev": 60, "test": 60})
    _small_example(tmp_path, minilm_path, **study)
    ran = [block for block in blocks(text) if block.language in RUN]
    for block in ran:
        _run(block, page, tmp_path)
    if page == "README.md":  # what the blocks promise to leave behind
        assert (tmp_path / "hyperopt" / "trec6" / "best-model.pt").exists()
        assert (tmp_path / "retrained" / "questions" / "best-model.pt").exists()
    shutil.rmtree(tmp_path / "hyperopt", ignore_errors=True)


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
