"""One settings object: the YAML keys, the command-line flags and the Orchestrator's keywords all come from
RunSettings' fields."""

from __future__ import annotations

import dataclasses

import pytest

from flair_hpo import orchestrator, search_strategies
from flair_hpo.cli.main import build_parser, main
from flair_hpo.cli.run_config import parse_run_config
from flair_hpo.cli.setting_flags import given_settings
from flair_hpo.errors import ConfigError, SettingsError
from flair_hpo.search.settings import RunSettings
from tests.helpers import trec_config

# A value of each setting that is not its default (storage: a journal kept elsewhere).
VALUES = {
    "storage": "sqlite:///elsewhere.db",
    "study_name": "named",
    "pruner": "median",
    "embedding_store": False,
    "final_model": True,
    "heartbeat_interval": 7,
    "storage_patience": 120,
    "reseeding": {"finalists": 2, "seeds": 3},
    "mlflow": "http://127.0.0.1:5999",
    "tensorboard": "boards",
    "wandb": "a-project",
    "warm_start": True,
}


def test_every_setting_but_the_search_own_is_given_a_value_here():
    assert set(RunSettings.names()) - {"base_path", "corpus"} == set(VALUES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_every_setting_is_a_yaml_key(name, trec_vectors, tmp_path):
    data = trec_config(tmp_path, trec_vectors, **{name: VALUES[name]})
    settings = parse_run_config(data, "run.yaml").settings
    assert settings == RunSettings(**{**_defaults(settings), name: VALUES[name]})


def test_a_yaml_key_that_is_no_setting_names_the_nearest_one(trec_vectors, tmp_path):
    data = trec_config(tmp_path, trec_vectors, heartbeat_intervall=7)
    with pytest.raises(ConfigError, match="unknown key 'heartbeat_intervall'; did you mean 'heartbeat_interval'"):
        parse_run_config(data, "run.yaml")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--base-path", "elsewhere"], {"base_path": "elsewhere"}),
        (["--study-name", "named"], {"study_name": "named"}),
        (["--final-model"], {"final_model": True}),
        (["--warm-start"], {"warm_start": True}),
        (["--mlflow"], {"mlflow": True}),
        (["--mlflow", "http://h:5000"], {"mlflow": "http://h:5000"}),
        (["--tensorboard", "boards"], {"tensorboard": "boards"}),
        (["--wandb"], {"wandb": True}),
        ([], {}),
    ],
)
def test_each_setting_with_a_flag_is_set_on_the_command_line(argv, expected, capsys):
    args = build_parser().parse_args(["run", "run.yaml", *argv])
    assert given_settings(args) == expected
    # Every setting that has a flag is on the command line, and only those (the corpus is the recipe's --corpus DIR).
    assert main(["run", "--help"]) == 0
    help_text = capsys.readouterr().out
    for name in set(RunSettings.names()) - {"corpus"}:
        assert (f"--{name.replace('_', '-')} " in help_text or f"--{name.replace('_', '-')}\n" in help_text) == (
            name in RunSettings.flags()
        ), name


def test_a_worker_sets_only_its_trackers():
    args = build_parser().parse_args(["worker", "--base-path", "here", "--mlflow", "--wandb", "p"])
    from flair_hpo.cli.setting_flags import TRACKERS

    assert given_settings(args, TRACKERS) == {"mlflow": True, "wandb": "p"}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "--final-model"])


def test_the_orchestrator_takes_settings_made_before_and_settings_by_name(trec_corpus, trec_vectors, tmp_path):
    space, strategy = _space_and_strategy(trec_vectors)
    made = RunSettings(base_path=tmp_path / "a", heartbeat_interval=9, embedding_store=False)
    search = orchestrator.Orchestrator(trec_corpus, search_space=space, search_strategy=strategy, settings=made)
    assert search.settings.heartbeat_interval == 9 and search.base_path == tmp_path / "a"
    # base_path and any setting by name replace those of the settings given.
    search = orchestrator.Orchestrator(
        trec_corpus, tmp_path / "b", space, strategy, settings=made, study_name="b", embedding_store=False
    )
    assert (search.base_path, search.settings.study_name, search.settings.heartbeat_interval) == (
        tmp_path / "b",
        "b",
        9,
    )
    # The tutorial's call, every setting by name.
    search = orchestrator.Orchestrator(
        corpus=trec_corpus, base_path=tmp_path / "c", search_space=space, search_strategy=strategy, final_model=True
    )
    assert search.settings.final_model is True and search.settings.corpus is None  # a corpus object is not stored
    assert not any(path.exists() for path in (tmp_path / "a", tmp_path / "b", tmp_path / "c"))


def test_a_keyword_that_is_no_setting_is_refused_naming_the_nearest_one(trec_corpus, trec_vectors, tmp_path):
    space, strategy = _space_and_strategy(trec_vectors)
    with pytest.raises(SettingsError, match="'heartbeat' is not a run setting; did you mean 'heartbeat_interval'"):
        orchestrator.Orchestrator(trec_corpus, tmp_path / "x", space, strategy, heartbeat=5)
    with pytest.raises(SettingsError, match="base_path must be a folder path, not None"):
        orchestrator.Orchestrator(trec_corpus, search_space=space, search_strategy=strategy)
    assert not (tmp_path / "x").exists()


def _defaults(settings: RunSettings) -> dict:
    """``settings``' base_path and corpus with every other setting at its default."""
    return {
        field.name: getattr(settings, field.name) if field.name in ("base_path", "corpus") else field.default
        for field in dataclasses.fields(RunSettings)
    }


def _space_and_strategy(vectors):
    from flair.embeddings import WordEmbeddings

    from flair_hpo import parameters as parameter
    from flair_hpo import search_spaces

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameter.Budget.RUNS, 1)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1])
    space.add_word_embeddings(
        parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(vectors))]]
    )
    strategy = search_strategies.GridSearch()
    return space, strategy
