"""A worker builds only what its own user allowed: the holes found when a stored study, a YAML file and a
storage URL were used to attack a worker, each closed. Workers are real ``flair-hpo worker`` processes on a
real journal study; the attack is a real pickle that would run a command."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flair_hpo.cli import main
from flair_hpo.records import keys
from flair_hpo.study import open_storage

from .conftest import once_per_session
from .helpers import copy_study, small_trec_search, trec_config, write

REPO = Path(__file__).resolve().parents[1]
WORDS = "DocumentRNNEmbeddings.embeddings"
#: A hub name: it names nothing on this machine, so no folder needs allowing (and nothing is downloaded: the
#: workers below stop before anything is built).
HUB_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


# ------------------------------------------------------------------------------------------------ helpers
@pytest.fixture(scope="session")
def joinable_study(trec_vectors, tmp_path_factory) -> Path:
    """A journal study of one trial (its budget spent) over word vectors in a pytest folder, created from a
    corpus reference so that workers can join it; trained once per test session."""

    def make(folder: Path) -> None:
        small_trec_search({"dataset": "TREC_6", "downsample": 0.1}, folder / "study", trec_vectors, runs=1).optimize()

    return once_per_session(tmp_path_factory, "joinable-study", make) / "study"


@pytest.fixture
def study(joinable_study, tmp_path) -> Path:
    """A copy of the finished study, which the test may rewrite."""
    return copy_study(joinable_study, tmp_path / "study")


def rewrite_space(base_path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the search space stored in the study, through Optuna's storage API (as anyone who can write
    the journal can)."""
    storage = open_storage(None, base_path, heartbeat_interval=None)
    study_id = storage.get_study_id_from_name("study")  # named after its folder
    data = storage.get_study_system_attrs(study_id)[keys.SEARCH_SPACE]
    change(data)
    storage.set_study_system_attr(study_id, keys.SEARCH_SPACE, data)


def words(data: dict[str, Any]) -> dict[str, Any]:
    """The stored dimension of the word-embedding options."""
    return next(d for d in data["dimensions"] if d["name"] == WORDS)


def worker(base_path: Path, *options: str) -> subprocess.CompletedProcess:
    """``flair-hpo worker --base-path BASE_PATH OPTIONS`` as a process of its own."""
    command = [sys.executable, "-m", "flair_hpo.cli", "worker", "--base-path", str(base_path), *options]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def refused(done: subprocess.CompletedProcess, *words: str) -> str:
    """The one line a refused command printed, checked: exit code 2, no traceback, ``words`` in it."""
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-3000:]
    line = done.stderr.strip()
    assert line.startswith("flair-hpo: error:") and "\n" not in line and "Traceback" not in line, line
    for word in words:
        assert word in line, line
    return line


class _RunsACommand:
    """Unpickling this runs a shell command: what a crafted vectors file does to gensim's KeyedVectors.load."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return os.system, (self.command,)


# ------------------------------------------------------------------------------------- files from a study
@pytest.mark.integration
def test_a_study_pointed_at_a_crafted_pickle_makes_no_worker_unpickle_it(study, tmp_path):
    """The attack as found: the stored word-embedding option points at a pickle that runs a command, under its
    old label, and the budget is raised so that a worker would train it. The worker refuses before building
    anything, naming the option and --allow-path; allowing the folder still shows the label does not match."""
    evil = tmp_path / "evil"
    evil.mkdir()
    pwned = tmp_path / "PWNED"
    (evil / "vectors.kv").write_bytes(pickle.dumps(_RunsACommand(f"touch {pwned}")))

    def point_at_the_pickle(data: dict[str, Any]) -> None:
        words(data)["values"] = [[{"class": "WordEmbeddings", "embeddings": str(evil / "vectors.kv")}]]
        data["budget"]["amount"] = 3  # trials left to train

    rewrite_space(study, point_at_the_pickle)
    refused(worker(study), WORDS, "--allow-path", str(evil))
    assert not pwned.exists()
    refused(worker(study, "--allow-path", str(evil)), WORDS, "WordEmbeddings(vectors.kv)", "changed outside")
    assert not pwned.exists()


@pytest.mark.integration
def test_vectors_outside_the_allowed_folders_need_allow_path(study, trec_vectors):
    """The study's own vectors, in a folder no default allows: refused without --allow-path, joined with it
    (the budget is spent, so the worker then ends at once)."""
    refused(worker(study), WORDS, f"--allow-path {trec_vectors.parent}")
    done = worker(study, "--allow-path", str(trec_vectors.parent))
    assert done.returncode == 0 and "Worker done: trained 0 trial(s)" in done.stdout, done.stderr[-3000:]


@pytest.mark.integration
def test_a_label_that_hides_its_value_is_refused(study, trec_vectors):
    """The labels are made from the values on this machine, never taken from the study: an option labelled
    as GloVe while it loads something else is refused."""
    rewrite_space(study, lambda data: words(data).update(labels=["WordEmbeddings(glove)"]))
    refused(
        worker(study, "--allow-path", str(trec_vectors.parent)),
        WORDS,
        "'WordEmbeddings(glove)'",
        "'WordEmbeddings(trec.kv)'",
    )


# ------------------------------------------------------------------------------------------- remote code
@pytest.mark.integration
def test_remote_code_in_a_study_needs_the_workers_own_consent(study, minilm_path):
    from flair_hpo.space.embedding_specs import option_label

    def ask_for_remote_code(data: dict[str, Any]) -> None:
        spec = {"class": "TransformerWordEmbeddings", "model": minilm_path, "trust_remote_code": True}
        words(data).update(values=[[spec]], labels=[option_label([spec])])  # its true label

    rewrite_space(study, ask_for_remote_code)
    allowed = ("--allow-path", str(Path(minilm_path).parent))  # the model's folder: only the consent is missing
    refused(worker(study, *allowed), WORDS, "trust_remote_code", "--trust-remote-code")
    done = worker(study, *allowed, "--trust-remote-code")
    assert done.returncode == 0 and "Worker done" in done.stdout, done.stderr[-3000:]


@pytest.mark.integration
def test_the_consent_reaches_the_worker_processes_of_a_search(tmp_path, minilm_path):
    """``flair-hpo run --workers 2 --trust-remote-code``: each worker process builds the embeddings itself, and
    may because its parent passes its allowance on (without it, both trials fail as refused)."""
    spec = {"class": "TransformerWordEmbeddings", "model": minilm_path, "fine_tune": False, "trust_remote_code": True}
    config = trec_config(tmp_path, Path(), corpus={"dataset": "TREC_6", "downsample": 0.05}, strategy="grid")
    config.update(budget={"runs": 2}, report=False, pruner="none")
    config["parameters"] = {
        "ModelTrainer.learning_rate": [0.1, 0.05],
        "DocumentPoolEmbeddings.word_embeddings": [[spec]],
    }
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(write(tmp_path / "run.yaml", config))]
    done = subprocess.run(
        [*command, "--workers", "2", "--trust-remote-code"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "trec" / "leaderboard.csv").read_text().count(",complete,") == 2


def _yaml_run(tmp_path: Path, vectors: Path, spec: dict[str, Any]) -> Path:
    config = trec_config(tmp_path, vectors)
    config["parameters"]["DocumentPoolEmbeddings.word_embeddings"] = [[spec]]
    return write(tmp_path / "run.yaml", config)


def test_remote_code_in_yaml_needs_the_command_line_flag(tmp_path, trec_vectors, capsys):
    spec = {"class": "TransformerWordEmbeddings", "model": HUB_MODEL, "trust_remote_code": True}
    assert main(["run", str(_yaml_run(tmp_path, trec_vectors, spec))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trust_remote_code" in err and "--trust-remote-code" in err, err
    assert not (tmp_path / "trec").exists()  # nothing written


@pytest.mark.parametrize(
    "argument",
    [{"cache_dir": "/tmp/models"}, {"revision": "main"}, {"transformers_model_kwargs": {"cache_dir": "/tmp"}}],
    ids=["cache_dir", "revision", "nested cache_dir"],
)
def test_yaml_gives_a_class_only_its_named_arguments(tmp_path, trec_vectors, capsys, argument):
    spec = {"class": "TransformerWordEmbeddings", "model": HUB_MODEL, **argument}
    assert main(["run", str(_yaml_run(tmp_path, trec_vectors, spec))]) == 2
    err = capsys.readouterr().err
    named = "cache_dir" if "cache_dir" in str(argument) else "revision"
    assert err.count("\n") == 1 and named in err and "TransformerWordEmbeddings" in err, err
    assert not (tmp_path / "trec").exists()


def test_python_specifications_ask_for_remote_code_only_with_consent():
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces
    from flair_hpo.errors import UntrustedInputError
    from flair_hpo.space.embedding_specs import build_embedding

    spec = {"class": "TransformerWordEmbeddings", "model": HUB_MODEL, "trust_remote_code": True}
    space = search_spaces.SequenceTaggerSearchSpace()
    with pytest.raises(UntrustedInputError, match="trust_remote_code"):
        space.add_word_embeddings(options=[[spec]])
    with pytest.raises(UntrustedInputError, match="trust_remote_code"):  # a configuration written by hand
        build_embedding(spec)
    with pytest.raises(UntrustedInputError, match="trust_remote_code"):  # nested in a named argument
        space.add_word_embeddings(
            parameter.SequenceTagger.WORD_EMBEDDINGS,
            options=[[{**spec, "trust_remote_code": False, "transformers_model_kwargs": {"trust_remote_code": 1}}]],
        )


# --------------------------------------------------------------------------------------------- passwords
SECRET_URLS = [
    "postgresql://u@h/db?password=s3cret",
    "postgresql://h/db?sslmode=require&PASSWORD=s3cret",
    "host=h password=s3cret dbname=x",
    "user:s3cret@host/db",
    "  postgresql://user:s3cret@host/db",
    "postgresql://user:s3cret@host:badport/db",
    "postgresql://user:s3cret@ho st/db",
    "postgresql://user:s3@cret@host/db",
    "mysql+pymysql://user:s3cret@[::1:3306/db",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_a_password_never_shows_however_the_url_is_written(url):
    from flair_hpo.search.settings import RunSettings
    from flair_hpo.study.storages import redact, without_secrets

    for shown in (redact(url), repr(RunSettings(base_path="x", storage=url)), without_secrets(f"no {url}", url)):
        assert "s3" not in shown and "cret" not in shown and "***" in shown, shown


@pytest.mark.integration
def test_a_password_in_the_query_string_stays_out_of_errors_and_logs(tmp_path, trec_vectors):
    secret = "Qu3ry-S3cret"
    config = trec_config(tmp_path, trec_vectors, storage=f"postgresql://flair@127.0.0.1:1/hpo?password={secret}")
    done = subprocess.run(
        [sys.executable, "-m", "flair_hpo.cli", "run", str(write(tmp_path / "run.yaml", config))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    refused(done, "cannot open the storage postgresql://flair@127.0.0.1:1/hpo?password=***")
    assert secret not in done.stdout + done.stderr
    log = tmp_path / "trec" / "flair-hpo.log"
    assert not log.exists() or secret not in log.read_text()
