"""What the tests share: the searches they run (in-process, or in a child process: ``python -m tests.helpers``),
small search spaces, YAML files for the command line, and workers as real processes. Real faults to inject
are in :mod:`tests.faults`."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import torch
import yaml
from optuna.trial import TrialState

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.optuna_internals import study_id
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.records import keys
from flair_hpo.records.keys import SKIPPED
from flair_hpo.search_spaces import SearchSpace, TextClassifierSearchSpace
from flair_hpo.study.storages import open_storage


def journal_study(base_path: Path, name: str, **store_settings):
    """An empty study in a journal file under ``base_path``, with the TrialStore that flair-hpo keeps beside it:
    ``(storage, study, store)``."""
    import optuna

    from flair_hpo.study import open_storage
    from flair_hpo.study.trial_store import TrialStore

    storage = open_storage(None, base_path, heartbeat_interval=1)
    study = optuna.create_study(storage=storage, study_name=name)
    return storage, study, TrialStore(study, storage, study_id(study), created=True, **store_settings)


def copy_study(source: Path, target: Path) -> Path:
    """A copy of the search folder ``source`` at ``target``, to resume or change; its models (never written to
    again: a new best model replaces the file) are hard links."""
    import shutil

    def copy(src: str, dst: str) -> None:
        (os.link if src.endswith(".pt") else shutil.copy2)(src, dst)

    return Path(shutil.copytree(source, target, copy_function=copy))


def trec_corpus():
    """10% of TREC_6 (about 490 train, 54 dev, 50 test questions), the same on every run."""
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(1)
    return TREC_6().downsample(0.1)


def small_trec_search(
    corpus,
    base_path: Path,
    vectors: Path,
    runs: int = 4,
    storage: str | None = None,
    strategy: search_strategies.SearchStrategy | None = None,
    **settings,
) -> orchestrator.Orchestrator:
    """Random search (or ``strategy``) over two learning rates and two hidden sizes of an RNN over small word
    vectors, without pruning: the tests that use it count the trials that train all their epochs.
    ``settings``: further run settings (study_name, mlflow, ...)."""
    from flair.embeddings import WordEmbeddings

    search_space = search_spaces.TextClassifierSearchSpace()
    search_space.add_budget(parameter.Budget.RUNS, runs)
    search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    search_space.add_max_epochs_per_training_run(2)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    search_space.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(vectors))]]
    )
    search_strategy = strategy or search_strategies.RandomSearch(seed=5)
    search_strategy.make_configurations(search_space)
    return orchestrator.Orchestrator(
        corpus=corpus,
        base_path=base_path,
        search_space=search_space,
        search_strategy=search_strategy,
        storage=storage,
        pruner="none",
        **settings,
    )


def die_at(trial_number: int, epoch: int) -> None:
    """Make this process kill itself (SIGKILL, no clean-up) when a trial reaches an epoch."""
    original = ProgressDisplay.epoch_ended

    def epoch_ended(self, event):
        original(self, event)
        if (event.trial, event.epoch) == (trial_number, epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    ProgressDisplay.epoch_ended = epoch_ended


def die_while(step: str) -> None:
    """Make this process kill itself in the middle of ``step``: "creating" the study (before its run settings
    are stored), or "requeueing" a trial (failed as interrupted, its configuration not yet queued again: the
    requeue that follows a Ctrl-C in trial 1)."""
    from flair_hpo.records import keys

    def kill(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "creating":  # (the journal storage's own method: it is wrapped when the search opens it)
        from optuna.storages.journal import JournalStorage

        original_set = JournalStorage.set_study_system_attr

        def set_study_system_attr(self, study_id, key, value):
            return kill() if key == keys.RUN else original_set(self, study_id, key, value)

        JournalStorage.set_study_system_attr = set_study_system_attr
    else:
        import optuna

        original, enqueue = ProgressDisplay.epoch_ended, optuna.Study.enqueue_trial
        interrupted = []

        def interrupt(self, event):
            original(self, event)
            if event.trial == 1:
                interrupted.append(event.trial)
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the trial is failed as interrupted, then queued

        ProgressDisplay.epoch_ended = interrupt
        # A child started in the background of a non-interactive shell inherits SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # The search queues every trial it trains; after the Ctrl-C, the next is the requeue's second step.
        optuna.Study.enqueue_trial = lambda *args, **kwargs: kill() if interrupted else enqueue(*args, **kwargs)


def race_at_creation(barrier: Path, me: str, racers: int = 2) -> None:
    """Hold this process just before it opens (creates) the study until every racer has reached that point,
    so that all create the study at the same moment."""
    import time

    from flair_hpo.study.trial_store import TrialStore

    original = TrialStore.open.__func__

    def open_when_all_are_there(cls, *args, **kwargs):
        (barrier / me).touch()
        while len(list(barrier.iterdir())) < racers:
            time.sleep(0.005)
        return original(cls, *args, **kwargs)

    TrialStore.open = classmethod(open_when_all_are_there)


def fill_disk_at_first_best_model() -> None:
    """Fill the disk of base_path just before the first best model is written (a real full file system)."""
    from flair_hpo.results.best import BestModelKeeper

    from .faults import fill_disk

    original = BestModelKeeper.offer

    def offer(self, *args, **kwargs):
        fill_disk(self.base_path)
        return original(self, *args, **kwargs)

    BestModelKeeper.offer = offer


def fill_disk_at(folder: Path, trial_number: int, epoch: int | None = None) -> None:
    """Fill the file system of ``folder`` (a small tmpfs) when a trial reaches an epoch (``None``: right after it
    is recorded complete), and the journal's last block too, so that the study's next record is a write that
    fails (files written later, or new ones, fail as well). The fault is real; only its moment is chosen."""
    from .faults import fill_disk

    def fill() -> None:
        fill_disk(folder)
        fill_journal(folder)

    if epoch is None:
        original_finished = ProgressDisplay.trial_finished

        def trial_finished(self, event):
            original_finished(self, event)
            if event.record.number == trial_number and event.record.status.scored:
                fill()

        ProgressDisplay.trial_finished = trial_finished
    else:
        original_epoch = ProgressDisplay.epoch_ended

        def epoch_ended(self, event):
            original_epoch(self, event)
            if (event.trial, event.epoch) == (trial_number, epoch):
                fill()

        ProgressDisplay.epoch_ended = epoch_ended


def fill_journal(folder: Path) -> None:
    """On a full disk, append records to the study in ``folder`` until even the smallest one finds no room."""
    from flair_hpo.errors import DiskFullError
    from flair_hpo.study import open_storage, study_name_for

    storage = open_storage(None, folder, heartbeat_interval=None)
    study_id = storage.get_study_id_from_name(study_name_for(storage, folder, reading=True))
    for length in (256, 16, 1):
        for i in range(10_000):
            try:
                storage.set_study_user_attr(study_id, f"test:padding-{length}-{i}", "x" * length)
            except (DiskFullError, OSError):  # OSError: Optuna's own backend (before flair-hpo's journal)
                break


def as_the_command_line_does(search: orchestrator.Orchestrator) -> int:
    """Run ``search`` and end as ``flair-hpo run`` does: a fault of the machine in one line on stderr, exit 1."""
    from flair_hpo.cli.main import EXIT_FAILURE, one_line
    from flair_hpo.errors import MachineError

    try:
        search.optimize()
    except MachineError as error:
        print(f"flair-hpo: error: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


WORDS = [{"class": "WordEmbeddings", "embeddings": "glove"}]

OTHER_WORDS = [{"class": "WordEmbeddings", "embeddings": "en"}]


def steered(
    space: SearchSpace,
    budget=(parameter.Budget.RUNS, 5),
    metric=parameter.EvaluationMetric.MICRO_F1_SCORE,
    value=parameter.OptimizationValue.DEV_SCORE,
    epochs: int = 3,
) -> SearchSpace:
    """``space`` with its mandatory steering parameters set."""
    space.add_budget(*budget)
    space.add_evaluation_metric(metric)
    space.add_optimization_value(value)
    space.add_max_epochs_per_training_run(epochs)
    return space


def conditional_space() -> TextClassifierSearchSpace:
    """3 learning rates x (RNN: 2 sizes x 2 word options + Pool: 3 poolings x 1 word option + Transformer: 2)."""
    space = steered(TextClassifierSearchSpace())
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05, 0.01])
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64, 128])
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[WORDS, OTHER_WORDS])
    space.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["mean", "min", "max"])
    space.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=["bert-base-uncased", "roberta-base"])
    return space


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def search_log(base_path: Path) -> str:
    """``base_path/flair-hpo.log``: what the search showed (the summary among it), whoever configured logging."""
    return (base_path / "flair-hpo.log").read_text(encoding="utf-8")


def trec_config(tmp_path: Path, vectors: Path, **changes) -> dict:
    config = {
        "task": "text_classification",
        "corpus": {"dataset": "TREC_6", "downsample": 0.1},
        "base_path": str(tmp_path / "trec"),
        "strategy": {"name": "random", "seed": 1},
        "budget": {"runs": 2},
        "evaluation_metric": "micro_f1_score",
        "optimization_value": "dev_score",
        "max_epochs_per_training_run": 1,
        "parameters": {
            "ModelTrainer.learning_rate": [0.1, 0.05],
            "ModelTrainer.MINI_BATCH_SIZE": {"low": 8, "high": 32, "log": True},
            "DocumentPoolEmbeddings.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": str(vectors)}]],
        },
    }
    config.update(changes)
    return config


PASSWORD = "flair-hpo-test-secret"  # scripts/postgres.sh's; must never show in any output


@dataclass
class Place:
    """Where a test's study lives: a PostgreSQL URL, or the journal file in base_path (storage None); and the
    folders of this machine whose files (word vectors, models) its workers are allowed to load."""

    storage: str | None
    study_name: str
    base_path: Path
    allowed: list[Path] = field(default_factory=list)

    def worker_command(self, wait: int = 120) -> list[str]:
        where = ["--storage", self.storage] if self.storage else ["--base-path", str(self.base_path)]
        study = ["--study", self.study_name, "--wait", str(wait)]
        allowed = [option for folder in self.allowed for option in ("--allow-path", str(folder))]
        return [sys.executable, "-m", "flair_hpo.cli", "worker", *where, *study, *allowed]

    def study(self) -> optuna.Study:
        storage = open_storage(self.storage, self.base_path, heartbeat_interval=None)
        return optuna.load_study(study_name=self.study_name, storage=storage)


def search_yaml(
    tmp_path: Path, place: Place, vectors: Path, strategy, budget, parameters, epochs: int, fraction: float = 0.05
) -> Path:
    config = {
        "task": "text_classification",
        "corpus": {"dataset": "TREC_6", "downsample": fraction},
        "base_path": str(place.base_path),
        "study_name": place.study_name,
        "strategy": strategy,
        "budget": budget,
        "evaluation_metric": "micro_f1_score",
        "optimization_value": "dev_score",
        "max_epochs_per_training_run": epochs,
        "heartbeat_interval": 1,
        "pruner": "none",  # every trial trains all its epochs: the kills below aim at the middle of one
        "report": True,
        "parameters": dict(parameters),
    }
    if any(key.startswith("DocumentRNNEmbeddings") for key in parameters):
        rnn_input = [[{"class": "WordEmbeddings", "embeddings": str(vectors)}]]
        config["parameters"]["DocumentRNNEmbeddings.word_embeddings"] = rnn_input
        place.allowed.append(vectors.parent)  # a pytest folder: the workers load the vectors only if allowed
    if place.storage:
        config["storage"] = place.storage
    path = tmp_path / f"{place.study_name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    # One thread each: several workers share this machine's cores.
    env = {**(env or os.environ), "OMP_NUM_THREADS": "1", "FLAIR_HPO_THREADS": "1"}
    with open(log, "w") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def creator(config: Path, log: Path) -> subprocess.Popen:
    return start([sys.executable, "-m", "flair_hpo.cli", "run", str(config), "--workers", "0"], log)


def finish(processes: list[subprocess.Popen], timeout: float = 600) -> list[int]:
    deadline = time.time() + timeout
    return [process.wait(timeout=max(1, deadline - time.time())) for process in processes]


def trained(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Trials that trained a configuration (not the ones a worker opened and gave back unused)."""
    return [t for t in study.get_trials() if not t.system_attrs.get(SKIPPED) and t.params]


def assert_no_secret_in(*paths: Path) -> None:
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and p.suffix != ".pt"]
        for file in files:
            assert PASSWORD.encode() not in file.read_bytes(), f"the storage password is in {file}"


def wait_for_running_trial(place: Place, pids: set[int], exclude: set[int], timeout: float = 240) -> tuple[int, int]:
    """A (trial number, pid) of a worker in ``pids`` that is in the middle of a trial: one epoch done, more
    than one to go (an epoch takes about a second), so it is still training when the signal arrives."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            running = place.study().get_trials(states=(TrialState.RUNNING,))
        except (KeyError, FileNotFoundError):  # the creator has not made the study yet
            running = []
        for trial in running:
            owner = trial.user_attrs.get(keys.OWNER, {})
            if owner.get("pid") in pids and len(trial.intermediate_values) == 1 and trial.number not in exclude:
                return trial.number, owner["pid"]
        time.sleep(0.1)
    raise AssertionError("no worker reached the middle of a trial")


@contextlib.contextmanager
def running_mlflow_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``mlflow server`` on a free port of 127.0.0.1 (sqlite backend in ``folder``, artifacts served by
    it), ``(uri, process)`` (the process leads a group of its own: the server and its uvicorn worker), stopped
    when the block ends."""
    import urllib.request

    from .conftest import SERVER_START_S, free_port

    def healthy(uri: str) -> bool:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    port = free_port()
    command = [
        *(sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
        *("--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination", str(folder / "art")),
    ]
    log = folder / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + SERVER_START_S
        while not healthy(uri):
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"mlflow server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield uri, server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a server still closing connections: its data is thrown away anyway
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def completed(place: Place) -> dict[int, float]:
    return {t.number: t.value for t in place.study().get_trials(states=(TrialState.COMPLETE,))}


def vectors_of(embedding, sentence) -> torch.Tensor:
    """What ``embedding`` gives ``sentence``, computed by Flair itself (eval mode), then left off it."""
    embedding.eval()
    embedding.embed(sentence)
    if embedding.embedding_type == "sentence-level":
        vectors = sentence.get_embedding([embedding.name]).clone()
    else:
        vectors = torch.stack([token.get_embedding([embedding.name]) for token in sentence]).clone()
    sentence.clear_embeddings()
    return vectors


def fasttext_folder(folder: Path, train: int = 60, test: int = 20) -> Path:
    """A tiny corpus of FastText lines (``__label__X text``) from TREC_6's files, as a user keeps one: train.txt
    and test.txt (Flair samples dev from train)."""
    from .conftest import FLAIR_CACHE

    lines = (FLAIR_CACHE / "datasets" / "trec_6" / "train.txt").read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text("\n".join(lines[:train]) + "\n", encoding="utf-8")
    (folder / "test.txt").write_text("\n".join(lines[train : train + test]) + "\n", encoding="utf-8")
    return folder


def conll_folder(folder: Path, train: int = 40, dev: int = 15) -> Path:
    """A tiny CoNLL corpus (word and NER tag a line, sentences apart) from WNUT_17's files: train.conll,
    dev.conll and test.conll."""
    from .conftest import FLAIR_CACHE

    text = (FLAIR_CACHE / "datasets" / "wnut_17" / "wnut17train.conll").read_text(encoding="utf-8")
    sentences = [s.strip() for s in re.split(r"\n\s*\n", text) if s.strip()]  # WNUT's blank lines hold a tab
    folder.mkdir(parents=True)
    for name, part in (("train", sentences[:train]), ("dev", sentences[train : train + dev])):
        (folder / f"{name}.conll").write_text("\n\n".join(part) + "\n\n", encoding="utf-8")
    (folder / "test.conll").write_text("\n\n".join(sentences[train + dev : train + 2 * dev]) + "\n\n", encoding="utf-8")
    return folder


def docs_project(folder: Path, minilm: str, **example: object) -> Path:
    """``folder`` as the pages of README.md and docs/ expect it, made small: a FastText folder (data/questions),
    a CoNLL one (data/ner), and examples/trec6.yaml on 5% of TREC_6, one epoch a trial, two runs (``example``:
    other keys), with the offline MiniLM for the hub name."""
    from .conftest import REPO

    fasttext_folder(folder / "data" / "questions")
    conll_folder(folder / "data" / "ner")
    config = yaml.safe_load((REPO / "examples" / "trec6.yaml").read_text(encoding="utf-8"))
    config["corpus"]["downsample"] = 0.05
    config.update(max_epochs_per_training_run=1, budget={"runs": 2}, **example)
    text = yaml.safe_dump(config).replace("sentence-transformers/all-MiniLM-L6-v2", minilm)
    (folder / "examples").mkdir()
    (folder / "examples" / "trec6.yaml").write_text(text, encoding="utf-8")
    return folder


@dataclass
class CommandRun:
    """Shell commands run one after the other in ``folder`` (:func:`docs_project`): each one's exit code and
    output, and the folder they left behind."""

    commands: list[str]
    folder: Path
    codes: list[int]
    outputs: list[str]

    def assert_succeeded(self) -> None:
        for command, code, output in zip(self.commands, self.codes, self.outputs, strict=True):
            assert code == 0, f"{command} failed ({code}):\n{output[-5000:]}"
        assert self.codes, "no command ran"


def run_commands(folder: Path, commands: list[str]) -> CommandRun:
    """Run ``commands`` with bash in ``folder``, as a user types them (the flair-hpo of this environment first
    on PATH), each after the one before has ended."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore"}
    run = CommandRun([], folder, [], [])
    for command in commands:  # up to the first that fails
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
        run.commands.append(command)
        run.codes.append(done.returncode)
        run.outputs.append(done.stdout)
        if done.returncode != 0:
            break
    return run


def quickstart_commands(minilm: str) -> list[str]:
    """The search of README's quickstart, made small as tests/test_docs.py makes it (two runs of one epoch, the
    offline MiniLM), in a :func:`docs_project`."""
    return [f"flair-hpo run --corpus data/questions --recipe classifier-frozen --runs 2 --epochs 1 --model {minilm}"]


#: The search of examples/trec6.yaml, as docs/command-line.md runs it, in a :func:`docs_project`.
EXAMPLE_COMMANDS = ["flair-hpo run examples/trec6.yaml"]


def child_command(*arguments: object) -> list[str]:
    """``python -m tests.helpers ARGUMENTS``: a search with a fault prepared, in a process of its own (see main)."""
    return [sys.executable, "-m", "tests.helpers", *map(str, arguments)]


def main(argv: list[str] | None = None) -> int:
    """Run a search with a fault prepared in this process; its exit code (a fault may end it sooner)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.helpers")
    faults = parser.add_subparsers(dest="fault", required=True)
    die = faults.add_parser("die-at", help="small_trec_search, killed (SIGKILL) when a trial reaches an epoch")
    die.add_argument("base_path", type=Path)
    die.add_argument("vectors", type=Path)
    die.add_argument("--trial", type=int, required=True)
    die.add_argument("--epoch", type=int, required=True)
    die.add_argument("--mlflow", help="log to MLflow at this tracking URI (with --study-name)")
    die.add_argument("--study-name")
    during = faults.add_parser("die-while", help="small_trec_search, killed in the middle of a step (die_while)")
    during.add_argument("step", choices=["creating", "requeueing"])
    during.add_argument("base_path", type=Path)
    during.add_argument("vectors", type=Path)
    during.add_argument("--runs", type=int, required=True)
    fill = faults.add_parser("fill-disk", help="small_trec_search, its disk filled when a trial reaches a moment")
    fill.add_argument("base_path", type=Path)
    fill.add_argument("vectors", type=Path)
    fill.add_argument("--runs", type=int, required=True)
    fill.add_argument("--trial", type=int, required=True)
    fill.add_argument("--at", required=True, help="an epoch, or 'recorded': right after the trial is recorded")
    race = faults.add_parser("race", help="flair-hpo run CONFIG, held before it creates the study for the others")
    race.add_argument("barrier", type=Path)
    race.add_argument("me")
    race.add_argument("config")
    best = faults.add_parser("fill-at-best", help="flair-hpo run CONFIG, its disk filled at the first best model")
    best.add_argument("config")
    arguments = parser.parse_args(argv)

    if arguments.fault in ("race", "fill-at-best"):
        from flair_hpo.cli import main as flair_hpo

        if arguments.fault == "race":
            race_at_creation(arguments.barrier, arguments.me)
        else:
            fill_disk_at_first_best_model()
        return flair_hpo(["run", arguments.config])
    if arguments.fault == "die-at":
        die_at(arguments.trial, arguments.epoch)
        tracking = {"mlflow": arguments.mlflow, "study_name": arguments.study_name} if arguments.mlflow else {}
        small_trec_search(trec_corpus(), arguments.base_path, arguments.vectors, **tracking).optimize()
        return 0
    if arguments.fault == "fill-disk":
        fill_disk_at(arguments.base_path, arguments.trial, None if arguments.at == "recorded" else int(arguments.at))
        search = small_trec_search(trec_corpus(), arguments.base_path, arguments.vectors, runs=arguments.runs)
        return as_the_command_line_does(search)
    die_while(arguments.step)
    small_trec_search(trec_corpus(), arguments.base_path, arguments.vectors, runs=arguments.runs).optimize()
    return 0


if __name__ == "__main__":
    sys.exit(main())
