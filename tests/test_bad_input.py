"""The bad-input matrix: each mistake, through the Python API or the command line, gives one clear message
before anything is trained, and the existing search in base_path is left exactly as it was."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.cli import main
from flair_hpo.errors import InputError
from flair_hpo.orchestration.joining import join_study

from .searches import small_trec_search
from .test_cli import trec_config, write

pytestmark = pytest.mark.integration

SECRET = "n0t-for-logs"
DEAD_SERVER = f"postgresql://flair:{SECRET}@127.0.0.1:1/hpo"  # nothing listens on port 1


@dataclass
class Case:
    corpus: Any
    wnut: Any
    vectors: Path
    study: Path  # a folder holding a finished search
    tmp: Path


def space(vectors: Path, **changes: Any) -> search_spaces.TextClassifierSearchSpace:
    """The search space of tests.searches.small_trec_search; ``changes`` adds or replaces options."""
    from flair.embeddings import WordEmbeddings

    result = search_spaces.TextClassifierSearchSpace()
    result.add_budget(parameter.Budget.RUNS, 1)
    result.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    result.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    result.add_max_epochs_per_training_run(2)
    result.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=changes.get("learning_rate", [0.1, 0.05]))
    result.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    result.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(vectors))]]
    )
    return result


def search(case: Case, **arguments: Any) -> orchestrator.Orchestrator:
    values = {
        "corpus": case.corpus,
        "base_path": case.study,
        "search_space": space(case.vectors),
        "search_strategy": search_strategies.RandomSearch(seed=5),
        **arguments,
    }
    return orchestrator.Orchestrator(**values)


def incomplete_space(case: Case) -> search_spaces.TextClassifierSearchSpace:
    result = search_spaces.TextClassifierSearchSpace()
    result.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1])
    return result


def cli_run(case: Case, **changes: Any) -> list[str]:
    config = trec_config(case.tmp, case.vectors, base_path=str(case.study))
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    return ["run", str(write(case.tmp / "bad.yaml", config))]


def tagger_on_wnut(case: Case) -> None:
    from flair.embeddings import WordEmbeddings

    tagger = search_spaces.SequenceTaggerSearchSpace()
    tagger.add_budget(parameter.Budget.RUNS, 1)
    tagger.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    tagger.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    tagger.add_max_epochs_per_training_run(1)
    tagger.add_tag_type("pos")  # WNUT_17 has ner only
    tagger.add_word_embeddings(options=[[WordEmbeddings(str(case.vectors))]])
    orchestrator.Orchestrator(case.wnut, case.study, tagger, search_strategies.RandomSearch()).optimize()


def a_file(case: Case) -> Path:
    return case.tmp / "a-file"  # made by the fixture


# id: (how, what to do, what the message says). Python cases raise InputError; CLI cases exit 2.
PYTHON_CASES = {
    "option of the wrong type": (
        lambda c: space(c.vectors, learning_rate=["fast"]),
        "ModelTrainer.learning_rate",
    ),
    "range with low above high": (
        lambda c: search_spaces.TextClassifierSearchSpace().add_parameter(
            parameter.ModelTrainer.LEARNING_RATE, low=0.5, high=0.1
        ),
        "low (0.5) must be below high (0.1)",
    ),
    "parameter of the other task": (
        lambda c: search_spaces.TextClassifierSearchSpace().add_parameter(
            parameter.SequenceTagger.HIDDEN_SIZE, options=[8]
        ),
        "does not belong to text classification",
    ),
    "space without budget, metric, epochs": (
        lambda c: search(c, search_space=incomplete_space(c)),
        "the search space is incomplete",
    ),
    "strategy given as a string": (lambda c: search(c, search_strategy="random"), "search_strategy must be"),
    "grid over a range": (
        lambda c: search_strategies.GridSearch().make_configurations(_with_range(space(c.vectors))),
        "GridSearch needs a list of options",
    ),
    "corpus that is not a corpus": (lambda c: search(c, corpus=["a sentence"]), "corpus must be a flair.data.Corpus"),
    "tag type the corpus lacks": (tagger_on_wnut, "no tag type 'pos' in its train split; it has 'ner'"),
    "corpus folder that does not exist": (
        lambda c: search(c, corpus={"folder": str(c.tmp / "nowhere"), "columns": {0: "text", 1: "ner"}}),
        "does not exist",
    ),
    "corpus dataset misspelled": (lambda c: search(c, corpus={"dataset": "TREC6"}), "did you mean 'TREC_6'?"),
    "base_path is a file": (lambda c: search(c, base_path=a_file(c)), "is a file; give a folder"),
    "base_path of another program": (
        lambda c: search(c, base_path=_foreign_folder(c)).optimize(),
        "is a folder with other files in it",
    ),
    "reopening with a different search space": (
        lambda c: search(c, search_space=space(c.vectors, learning_rate=[0.1, 0.01])).optimize(),
        "ModelTrainer.learning_rate: [0.1, 0.05] in the study, [0.1, 0.01] now",
    ),
    "reopening with a different strategy": (
        lambda c: search(c, search_strategy=search_strategies.RandomSearch(seed=6)).optimize(),
        "was created for a different search",
    ),
    "storage server that does not answer": (
        lambda c: search(c, storage=DEAD_SERVER).optimize(),
        "cannot open the storage postgresql://flair:***@127.0.0.1:1/hpo: OperationalError",
    ),
    "storage URL of an unknown database": (
        lambda c: search(c, storage="postgress://flair@localhost/hpo").optimize(),
        "the storage postgress://flair@localhost/hpo is not a database URL SQLAlchemy knows",
    ),
    "storage of the wrong type": (lambda c: search(c, storage=42), "storage must be an Optuna storage URL"),
    "negative worker count": (lambda c: search(c).optimize(workers=-2), "workers must be a whole number"),
    "zero heartbeat interval": (
        lambda c: search(c, heartbeat_interval=0),
        "heartbeat_interval (seconds) must be a whole number from 1",
    ),
    "misspelled pruner": (lambda c: search(c, pruner="successive_halfing"), "did you mean 'successive_halving'?"),
    "empty study name": (lambda c: search(c, study_name=""), "study_name must be a non-empty string"),
    "joining a study that does not exist": (
        lambda c: join_study(base_path=c.study, study_name="nope"),
        "there is no flair-hpo study 'nope'",
    ),
    "joining a study made from a corpus object": (
        lambda c: join_study(base_path=c.study),
        "was created in Python from a corpus object",
    ),
    "joining without storage or base_path": (lambda c: join_study(), "give the study's storage URL"),
}

CLI_CASES = {
    "misspelled YAML key": (lambda c: cli_run(c, budgt={"runs": 1}), "unknown key 'budgt'; did you mean 'budget'?"),
    "misspelled parameter": (
        lambda c: cli_run(c, parameters={"ModelTrainer.learnng_rate": [0.1]}),
        "ModelTrainer has no parameter 'learnng_rate'",
    ),
    "YAML option of the wrong type": (
        lambda c: cli_run(c, max_epochs_per_training_run="three"),
        "max epochs per training run must be a positive integer",
    ),
    "YAML corpus folder that does not exist": (
        lambda c: cli_run(c, corpus={"folder": str(c.tmp / "nowhere"), "columns": {0: "text"}}),
        "the folder",
    ),
    "YAML storage that does not answer": (
        lambda c: cli_run(c, storage=DEAD_SERVER),
        "cannot open the storage postgresql://flair:***@127.0.0.1:1/hpo",
    ),
    "YAML heartbeat that is not a number": (
        lambda c: cli_run(c, heartbeat_interval="often"),
        "heartbeat_interval (seconds) must be a whole number from 1",
    ),
    "YAML reopening a study with another space": (
        lambda c: cli_run(c),
        "was created for a different search, so it is not continued",
    ),
    "YAML base_path is a file": (lambda c: cli_run(c, base_path=str(a_file(c))), "is a file; give a folder"),
    "worker for a study that does not exist": (
        lambda c: ["worker", "--base-path", str(c.study), "--study", "nope"],
        "there is no flair-hpo study 'nope'",
    ),
    "worker for an unreachable server": (
        lambda c: ["worker", "--storage", DEAD_SERVER, "--study", "x"],
        "cannot open the storage postgresql://flair:***@127.0.0.1:1/hpo",
    ),
    "worker without storage or base_path": (lambda c: ["worker"], "give the study's storage URL"),
    "show of a folder without a search": (lambda c: ["show", str(c.tmp)], "holds no flair-hpo search"),
}


def _with_range(result: search_spaces.SearchSpace) -> search_spaces.SearchSpace:
    result.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, low=8, high=32)
    return result


def _foreign_folder(case: Case) -> Path:
    return case.tmp / "someone-elses"  # made by the fixture


def tree(*folders: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def finished_study(trec_corpus, trec_vectors, tmp_path_factory) -> Path:
    base_path = tmp_path_factory.mktemp("finished") / "study"
    small_trec_search(trec_corpus, base_path, trec_vectors, runs=1).optimize()
    return base_path


@pytest.fixture
def case(trec_corpus, wnut_corpus, trec_vectors, finished_study, tmp_path) -> Case:
    study = tmp_path / "study"
    shutil.copytree(finished_study, study)
    work = tmp_path / "work"
    (work / "someone-elses").mkdir(parents=True)
    (work / "someone-elses" / "notes.txt").write_text("not a search")
    (work / "a-file").write_text("keep me")
    return Case(trec_corpus, wnut_corpus, trec_vectors, study, work)


def test_the_matrix_has_at_least_25_cases():
    assert len(PYTHON_CASES) + len(CLI_CASES) >= 25


@pytest.mark.parametrize("name", PYTHON_CASES, ids=list(PYTHON_CASES))
def test_python_api_refuses_bad_input(name, case):
    action, message = PYTHON_CASES[name]
    before = tree(case.study, case.tmp)
    with pytest.raises(InputError) as raised:
        action(case)
    assert message in str(raised.value), str(raised.value)
    assert SECRET not in str(raised.value)
    assert tree(case.study, case.tmp) == before  # nothing written, nothing damaged


@pytest.mark.parametrize("name", CLI_CASES, ids=list(CLI_CASES))
def test_command_line_refuses_bad_input(name, case, capsys):
    action, message = CLI_CASES[name]
    argv = action(case)
    before = tree(case.study, case.tmp)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("flair-hpo: error: ") and message in err, err
    assert "Traceback" not in err and SECRET not in out + err
    assert tree(case.study, case.tmp) == before
