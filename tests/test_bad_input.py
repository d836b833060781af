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
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.search_spaces import recipes

from .helpers import trec_config, write

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
    env: pytest.MonkeyPatch  # environment variables set for this case only


def space(vectors: Path, **changes: Any) -> search_spaces.TextClassifierSearchSpace:
    """The search space of tests.helpers.small_trec_search; ``changes`` adds or replaces options."""
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
            config[key] = None if value == "~null~" else value  # ~null~: the key, with YAML's null
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


def _empty_corpus(case: Case) -> dict:
    folder = case.tmp / "empty-corpus"  # made by the fixture: train, dev and test files with nothing in them
    return {"folder": str(folder), "columns": {0: "text", 1: "ner"}}


def _fine_tune_with_patience(case: Case) -> None:
    tagger = recipes.ner_fine_tune(model="some-transformer")
    tagger.add_parameter(parameter.ModelTrainer.PATIENCE, options=[1, 2])
    search_strategies.RandomSearch().make_configurations(tagger)


def _with_env(case: Case, name: str, value: str | None) -> Case:
    """``case`` with the environment variable ``name`` set to ``value`` (None: unset) for this case only."""
    if value is None:
        case.env.delenv(name, raising=False)
    else:
        case.env.setenv(name, value)
    return case


#: Studies whose stored search space was changed behind flair-hpo's back (made by the fixture from the
#: finished search): a dimension that lost a key, one whose labels are text instead of a list.
EDITS = {
    "missing key": ("ModelTrainer.learning_rate", lambda dimension: dimension.pop("labels")),
    "wrong type": ("DocumentRNNEmbeddings.hidden_size", lambda dimension: dimension.update(labels="16, 32")),
}
UNREADABLE = "the study 'study' holds a search space this version cannot read: "


def edited(case: Case, edit: str) -> Path:
    return _edited_folder(case.tmp, edit)  # made by the fixture


def _edited_folder(work: Path, edit: str) -> Path:
    return work / f"edited-{edit.replace(' ', '-')}"


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
    "pruner no longer offered": (lambda c: search(c, pruner="data_halving"), 'pruner="data_halving" is no longer'),
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
    # numbers outside their domain, and of the wrong type
    "negative learning rate": (lambda c: space(c.vectors, learning_rate=[-0.1]), "must lie in (0, 100], not -0.1"),
    "absurd learning rate": (lambda c: space(c.vectors, learning_rate=[1e9]), "must lie in (0, 100]"),
    "zero batch size": (
        lambda c: space(c.vectors).add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[0]),
        "ModelTrainer.mini_batch_size must lie in [1, 100000], not 0",
    ),
    "absurd batch size range": (
        lambda c: space(c.vectors).add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, low=8, high=10**9),
        "must lie in [1, 100000]",
    ),
    "negative hidden size": (
        lambda c: space(c.vectors).add_parameter(parameter.DocumentRNNEmbeddings.RNN_LAYERS, options=[-2]),
        "DocumentRNNEmbeddings.rnn_layers must lie in [1, 100]",
    ),
    "dropout above one": (
        lambda c: space(c.vectors).add_parameter(parameter.DocumentRNNEmbeddings.DROPOUT, low=0.0, high=1.5),
        "must lie in [0, 1], not 1.5",
    ),
    "no epochs": (lambda c: space(c.vectors).add_max_epochs_per_training_run(0), "must be a positive integer"),
    "absurd epochs": (lambda c: space(c.vectors).add_max_epochs_per_training_run(10**9), "up to 100000"),
    "absurd budget": (lambda c: space(c.vectors).add_budget(parameter.Budget.RUNS, 10**12), "beyond any search"),
    "hours as text": (
        lambda c: space(c.vectors).add_budget(parameter.Budget.TIME_IN_H, "2"),
        "must be a number of hours",
    ),
    "mutation rate above one": (
        lambda c: search_strategies.EvolutionarySearch(mutation_rate=2),
        "mutation_rate must be a probability",
    ),
    "negative cross rate": (
        lambda c: search_strategies.EvolutionarySearch(cross_rate=-0.5),
        "cross_rate must be a probability",
    ),
    "population of one": (
        lambda c: search_strategies.EvolutionarySearch(population_size=1),
        "population_size must be a whole number from 2",
    ),
    "seed that is not a number": (lambda c: search_strategies.RandomSearch(seed="7"), "seed must be an integer"),
    "absurd worker count": (lambda c: search(c).optimize(workers=10**6), "workers must be a whole number up to 1024"),
    "absurd heartbeat interval": (
        lambda c: search(c, heartbeat_interval=10**7),
        "heartbeat_interval (seconds) must be a whole number from 1 to 86400",
    ),
    "heartbeat interval as a flag": (lambda c: search(c, heartbeat_interval=True), "must be a whole number"),
    "storage patience of a fraction of a second": (
        lambda c: search(c, storage_patience=0.5),
        "storage_patience (seconds) must be a whole number from 1 to 86400, not 0.5",
    ),
    "storage patience longer than a day": (
        lambda c: search(c, storage_patience=10**6),
        "storage_patience (seconds) must be a whole number from 1 to 86400",
    ),
    "no seeds for the finalists": (lambda c: search(c, reseeding={"finalists": 2, "seeds": 0}), "seeds must be"),
    "reseeding of the wrong type": (lambda c: search(c, reseeding="yes"), "reseeding must be Reseeding"),
    "embedding store of the wrong type": (
        lambda c: search(c, embedding_store=5),
        "embedding_store must be True, False or a folder",
    ),
    "study name of the wrong type": (lambda c: search(c, study_name=5), "study_name must be a non-empty string"),
    # corpora that Flair would fail on deep inside
    "dataset argument that does not exist": (
        lambda c: search(c, corpus={"dataset": "TREC_6", "args": {"bogus": 1}}),
        "TypeError: ClassificationCorpus.__init__() got an unexpected keyword argument 'bogus'",
    ),
    "corpus seed that is not a number": (
        lambda c: search(c, corpus={"dataset": "TREC_6", "seed": "one"}),
        "corpus: seed must be a whole number",
    ),
    "columns that are not numbered": (
        lambda c: search(c, corpus={"folder": str(c.tmp), "columns": {"a": "text"}}),
        "a column corpus needs columns",
    ),
    "corpus folder with empty files": (lambda c: search(c, corpus=_empty_corpus(c)), "No data provided"),
    # base_path and storage
    "base_path that cannot be made": (
        lambda c: search(c, base_path=a_file(c) / "inside").optimize(),
        "cannot be made",
    ),
    "new base_path for a storage that does not answer": (
        lambda c: search(c, base_path=c.tmp / "new", storage=DEAD_SERVER).optimize(),
        "cannot open the storage",
    ),
    "malformed storage URL with a password": (
        lambda c: search(
            c, base_path=c.tmp / "new", storage=f"postgresql://flair:{SECRET}@127.0.0.1:port/x"
        ).optimize(),
        "flair:***@",
    ),
    # what a space may name
    "optimizer outside torch.optim": (
        lambda c: space(c.vectors).add_parameter(parameter.ModelTrainer.OPTIMIZER, options=["os.system"]),
        "is not an optimizer of torch.optim",
    ),
    "embedding class outside flair.embeddings": (
        lambda c: space(c.vectors).add_word_embeddings(
            parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[{"class": "subprocess.Popen", "args": "ls"}]]
        ),
        "is not an embedding class of flair.embeddings",
    ),
    "argument of the other training mode": (_fine_tune_with_patience, "ModelTrainer.patience never reaches Flair"),
    "recipe that does not exist": (lambda c: recipes.recipe("ner-finetune"), "did you mean 'ner-fine-tune'?"),
    "budget of zero runs": (
        lambda c: space(c.vectors).add_budget(parameter.Budget.RUNS, 0),
        "the RUNS budget must be positive, not 0",
    ),
    "budget of endless hours": (
        lambda c: space(c.vectors).add_budget(parameter.Budget.TIME_IN_H, float("inf")),
        "the TIME_IN_H budget must be a number of hours, not inf",
    ),
    # the environment variables flair-hpo reads, checked where a search starts
    "cache size that is not a number": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE_GB", "abc")),
        "FLAIR_HPO_CACHE_GB='abc': it must be a number of gigabytes above 0",
    ),
    "cache size of zero": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE_GB", "0")),
        "FLAIR_HPO_CACHE_GB='0': it must be a number of gigabytes above 0",
    ),
    "negative cache size": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE_GB", "-5")),
        "FLAIR_HPO_CACHE_GB='-5': it must be a number of gigabytes above 0",
    ),
    "endless cache size": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE_GB", "inf")),
        "FLAIR_HPO_CACHE_GB='inf': it must be a number of gigabytes above 0",
    ),
    "cache folder that is a file": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE", str(a_file(c)))),
        "a-file is a file, not a folder; set FLAIR_HPO_CACHE to a folder this user can write",
    ),
    "cache folder that cannot be made": (
        lambda c: search(_with_env(c, "FLAIR_HPO_CACHE", str(a_file(c) / "cache"))),
        "a-file is a file, not a folder",
    ),
    "user cache folder that is a file": (
        lambda c: search(_with_env(_with_env(c, "FLAIR_HPO_CACHE", None), "XDG_CACHE_HOME", str(a_file(c)))),
        "XDG_CACHE_HOME=",
    ),
    "worker threads of zero": (
        lambda c: search(_with_env(c, "FLAIR_HPO_THREADS", "0")),
        "FLAIR_HPO_THREADS='0': it must be a whole number from 1",
    ),
    "worker threads that are not a number": (
        lambda c: search(_with_env(c, "FLAIR_HPO_THREADS", "two")),
        "FLAIR_HPO_THREADS='two': it must be a whole number from 1",
    ),
    # a study whose stored search space was changed so that it cannot be rebuilt
    "resuming a study whose space lost a key": (
        lambda c: search(c, base_path=edited(c, "missing key")).optimize(),
        UNREADABLE + "ModelTrainer.learning_rate: the key 'labels' is missing; use a new base_path or study name",
    ),
    "joining a study whose space has a wrong type": (
        lambda c: join_study(base_path=edited(c, "wrong type"), corpus=c.corpus),
        UNREADABLE + "DocumentRNNEmbeddings.hidden_size: labels and values must be two lists",
    ),
    "reading a study whose space has a wrong type": (
        lambda c: open_for_reading(edited(c, "wrong type")),
        UNREADABLE + "DocumentRNNEmbeddings.hidden_size",
    ),
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
        "holds the study of a search with other settings: ",
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
    # null or the wrong type for a YAML key
    "YAML base_path null": (lambda c: cli_run(c, base_path="~null~"), "base_path must be a folder path, not None"),
    "YAML study_name a number": (lambda c: cli_run(c, study_name=5), "study_name must be a non-empty string"),
    "YAML heartbeat null": (lambda c: cli_run(c, heartbeat_interval="~null~"), "must be a whole number"),
    "YAML storage patience not a number": (
        lambda c: cli_run(c, storage_patience="2 minutes"),
        "storage_patience (seconds) must be a whole number from 1",
    ),
    "YAML storage a list": (lambda c: cli_run(c, storage=["x"]), "storage must be an Optuna storage URL"),
    "YAML workers too many": (lambda c: cli_run(c, workers=100000), "workers must be a whole number up to 1024"),
    "YAML pruner a number": (lambda c: cli_run(c, pruner=5), "pruner must be one of"),
    "YAML pruner no longer offered": (lambda c: cli_run(c, pruner="data_halving"), 'pruner="data_halving" is no'),
    "YAML embedding store a number": (lambda c: cli_run(c, embedding_store=5), "embedding_store must be True"),
    "YAML report null": (lambda c: cli_run(c, report="~null~"), "report must be True or False"),
    "YAML budget null": (lambda c: cli_run(c, budget="~null~"), "budget: give exactly one of"),
    "YAML strategy a number": (lambda c: cli_run(c, strategy=5), "is not grid, random"),
    "YAML parameters null": (lambda c: cli_run(c, parameters="~null~"), "parameters: give a mapping"),
    "YAML corpus null": (lambda c: cli_run(c, corpus="~null~"), "corpus: give {dataset: NAME}"),
    "YAML reseeding text": (lambda c: cli_run(c, reseeding="yes"), "reseeding must be Reseeding"),
    "YAML recipe a number": (lambda c: cli_run(c, recipe=5), "recipe: give a name"),
    "YAML dataset argument unknown": (
        lambda c: cli_run(c, corpus={"dataset": "TREC_6", "args": {"downsampel": 0.1}}),
        "unexpected keyword argument 'downsampel'",
    ),
    "YAML negative learning rate": (
        lambda c: cli_run(c, parameters={"ModelTrainer.learning_rate": [-1.0]}),
        "must lie in (0, 100]",
    ),
    "YAML empty file": (lambda c: ["run", str(_text(c, "empty.yaml", ""))], "expected a mapping of settings"),
    "YAML not YAML": (lambda c: ["run", str(_text(c, "bad.yaml", "task: [unclosed\n"))], "not readable YAML"),
    "YAML file that does not exist": (lambda c: ["run", str(c.tmp / "nowhere.yaml")], "no such file"),
    # every subcommand
    "run without a file or a recipe": (lambda c: ["run"], "give a YAML file, or --dataset NAME --recipe NAME"),
    "run a dataset without a recipe": (lambda c: ["run", "--dataset", "TREC_6"], "give a YAML file, or --dataset"),
    "run an unknown recipe": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "ner-finetune"],
        "did you mean 'ner-fine-tune'?",
    ),
    "train a file that does not exist": (
        lambda c: _train(str(c.tmp / "nowhere.yaml"), str(c.tmp / "x.yaml"), str(c.tmp / "out")),
        "nowhere.yaml does not exist: give a search's folder",
    ),
    "train a file that is not a configuration": (
        lambda c: _train(str(_text(c, "conf.yaml", "a: 1\n")), str(c.tmp / "x.yaml"), str(c.tmp / "out")),
        "not a configuration",
    ),
    "train onto a file": (
        lambda c: _train(str(c.study / "best-configuration.yaml"), "x", str(a_file(c))),
        "is not an empty folder",
    ),
    "train with a missing corpus file": (
        lambda c: _train(str(c.study / "best-configuration.yaml"), str(c.tmp / "no.yaml"), str(c.tmp / "out")),
        "no such file",
    ),
    "show a study journal that is not one": (
        lambda c: ["show", str(_journal(c, b"\x00garbage\n"))],
        "cannot be read",
    ),
    "report of a folder that does not exist": (
        lambda c: ["report", str(c.tmp / "nowhere")],
        "nowhere does not exist",
    ),
    "worker waiting a negative time": (lambda c: ["worker", "--base-path", str(c.study), "--wait", "-5"], "--wait"),
    "unknown subcommand": (lambda c: ["serve"], "invalid choice: 'serve'"),
    # budgets on the command line: 0 is not "the default"
    "run zero runs": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--runs", "0"],
        "argument --runs: expected a whole number from 1",
    ),
    "run zero hours": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--hours", "0"],
        "argument --hours: expected a number of hours above 0",
    ),
    "run negative hours": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--hours=-2"],
        "argument --hours: expected a number of hours above 0",
    ),
    "run hours that are not a number": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--hours", "nan"],
        "argument --hours: expected a number of hours above 0",
    ),
    "run on none of the dataset": (
        lambda c: ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--downsample", "0"],
        "argument --downsample: expected a fraction above 0 and up to 1",
    ),
    "YAML budget of zero runs": (lambda c: cli_run(c, budget={"runs": 0}), "the RUNS budget must be positive"),
    # environment variables
    "YAML run with a cache size that is not a number": (
        lambda c: cli_run(_with_env(c, "FLAIR_HPO_CACHE_GB", "64GB")),
        "FLAIR_HPO_CACHE_GB='64GB': it must be a number of gigabytes above 0",
    ),
    "YAML run with a cache size of zero": (
        lambda c: cli_run(_with_env(c, "FLAIR_HPO_CACHE_GB", "0")),
        "FLAIR_HPO_CACHE_GB='0': it must be a number of gigabytes above 0",
    ),
    "YAML run with a cache folder that is a file": (
        lambda c: cli_run(_with_env(c, "FLAIR_HPO_CACHE", str(a_file(c)))),
        "FLAIR_HPO_CACHE=",
    ),
    "YAML run with negative worker threads": (
        lambda c: cli_run(_with_env(c, "FLAIR_HPO_THREADS", "-1")),
        "FLAIR_HPO_THREADS='-1': it must be a whole number from 1",
    ),
    # a study whose stored search space cannot be rebuilt, for every subcommand that reads one
    "YAML run on a study whose space lost a key": (
        lambda c: cli_run(c, base_path=str(edited(c, "missing key"))),
        UNREADABLE + "ModelTrainer.learning_rate: the key 'labels' is missing",
    ),
    "worker on a study whose space has a wrong type": (
        lambda c: ["worker", "--base-path", str(edited(c, "wrong type"))],
        UNREADABLE + "DocumentRNNEmbeddings.hidden_size: labels and values must be two lists",
    ),
    "show of a study whose space lost a key": (
        lambda c: ["show", str(edited(c, "missing key"))],
        UNREADABLE + "ModelTrainer.learning_rate: the key 'labels' is missing",
    ),
}


def _train(configuration: str, corpus_from: str, base_path: str) -> list[str]:
    return ["train", configuration, "--corpus-from", corpus_from, "--base-path", base_path]


def _text(case: Case, name: str, text: str) -> Path:
    path = case.tmp / name
    path.write_text(text)
    return path


def _journal(case: Case, content: bytes) -> Path:
    folder = case.tmp / "garbled"
    folder.mkdir()
    (folder / "study.journal").write_bytes(content)
    return folder


def _with_range(result: search_spaces.SearchSpace) -> search_spaces.SearchSpace:
    result.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, low=8, high=32)
    return result


def _foreign_folder(case: Case) -> Path:
    return case.tmp / "someone-elses"  # made by the fixture


def tree(*folders: Path) -> dict[str, str]:
    """Every file (with its content's hash) and every folder below ``folders``: what appeared, went or changed."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        for folder in folders
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def edited_journals(finished_study, tmp_path_factory) -> dict[str, Path]:
    """The finished search's journal with each of :data:`EDITS` made to the search space stored in it."""
    from flair_hpo.records import keys
    from flair_hpo.study import JOURNAL_FILE, open_storage

    journals = {}
    for edit, (name, change) in EDITS.items():
        folder = tmp_path_factory.mktemp("edited")
        shutil.copy(finished_study / JOURNAL_FILE, folder / JOURNAL_FILE)
        storage = open_storage(None, folder, heartbeat_interval=None)
        study_id = storage.get_study_id_from_name(finished_study.name)  # named after its folder
        stored = storage.get_study_system_attrs(study_id)[keys.SEARCH_SPACE]
        change(next(d for d in stored["dimensions"] if d["name"] == name))
        storage.set_study_system_attr(study_id, keys.SEARCH_SPACE, stored)
        journals[edit] = folder / JOURNAL_FILE
    return journals


@pytest.fixture
def case(trec_corpus, wnut_corpus, trec_vectors, finished_study, edited_journals, tmp_path, monkeypatch) -> Case:
    study = tmp_path / "study"
    shutil.copytree(finished_study, study)
    work = tmp_path / "work"
    (work / "someone-elses").mkdir(parents=True)
    (work / "someone-elses" / "notes.txt").write_text("not a search")
    (work / "a-file").write_text("keep me")
    (work / "empty-corpus").mkdir()
    for split in ("train.txt", "dev.txt", "test.txt"):
        (work / "empty-corpus" / split).write_text("")
    for edit, journal in edited_journals.items():
        folder = _edited_folder(work, edit)
        folder.mkdir()
        shutil.copy(journal, folder / journal.name)
    return Case(trec_corpus, wnut_corpus, trec_vectors, study, work, monkeypatch)


def test_the_matrix_has_at_least_60_cases():
    assert len(PYTHON_CASES) + len(CLI_CASES) >= 60


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
    assert err.count("\n") == 1, err  # one line
    assert "Traceback" not in err and SECRET not in out + err
    assert tree(case.study, case.tmp) == before


# ------------------------------------------------------------------------------------- stored spaces
def test_every_space_this_version_stores_is_read_back():
    """The checks of a stored space never refuse one that flair-hpo wrote (a recipe of each task, ranges,
    conditions, and an earlier version's ``[parent, label]`` condition)."""
    from flair_hpo.search_spaces import recipes
    from flair_hpo.space.stored_space import read_stored_space

    for make in recipes.RECIPES.values():
        stored = make().to_dict()
        assert read_stored_space(stored).to_dict() == stored
    older = recipes.recipe("classifier-frozen").to_dict()
    for dimension in older["dimensions"]:
        if dimension["condition"]:
            dimension["condition"] = [dimension["condition"][0][0], dimension["condition"][0][1][0]]
    assert read_stored_space(older).to_dict() == recipes.recipe("classifier-frozen").to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(task="translation"), "task is 'translation'"),
        (lambda s: s.update(budget={"kind": "runs", "amount": "many"}), "budget is"),
        (lambda s: s.update(max_epochs=0), "max_epochs is 0"),
        (lambda s: s.update(dimensions={}), "dimensions is {}, not a list"),
        (lambda s: s["dimensions"][0].update(name="ModelTrainer.learnng_rate"), "no parameter of this version"),
        (lambda s: s["dimensions"][0].update(kind="set"), "kind is 'set'"),
        (lambda s: s["dimensions"][0].update(labels=[[0.1]], values=[0.1]), "labels must be strings, numbers"),
        (lambda s: s["dimensions"][0].update(condition=[5]), "condition is [5]"),
        (lambda s: s["dimensions"].append("a dimension"), "dimension 2: 'a dimension' is not a mapping"),
    ],
)
def test_each_part_of_a_stored_space_is_checked(change, message):
    from flair_hpo.errors import SearchSpaceError
    from flair_hpo.space.stored_space import read_stored_space

    stored = search_spaces.TextClassifierSearchSpace()
    stored.add_budget(parameter.Budget.RUNS, 2)
    stored.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    stored = stored.to_dict()
    change(stored)
    with pytest.raises(SearchSpaceError) as raised:
        read_stored_space(stored)
    assert message in str(raised.value), str(raised.value)
