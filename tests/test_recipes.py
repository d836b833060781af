"""Recipes: ready search spaces that build, check and train; in Python, in YAML and with no YAML at all."""

from __future__ import annotations

import pytest
import yaml

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_strategies
from flair_hpo.cli import main
from flair_hpo.cli.run_config import load_run_config
from flair_hpo.errors import SearchSpaceError
from flair_hpo.search_spaces import recipes
from flair_hpo.space import Range

from .helpers import search_log

TWE = parameter.TransformerWordEmbeddings
TAGGERS = ("ner-fine-tune", "tagger-frozen")


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_each_recipe_builds_and_trains_one_short_trial(name, trec_corpus, wnut_corpus, minilm_path, tmp_path):
    space = recipes.recipe(name, model=minilm_path)
    space.check()
    modes = {"ner-fine-tune": "fine_tune", "classifier-fine-tune": "fine_tune"}
    assert space.training_mode.value == modes.get(name, "train")
    # One short trial: one epoch, one run.
    if "ModelTrainer.max_epochs" in {d.name for d in space.dimensions}:
        space.remove_parameter(parameter.ModelTrainer.MAX_EPOCHS)
    space.add_max_epochs_per_training_run(1)
    space.add_budget(parameter.Budget.RUNS, 1)
    # A short trial: fewer, shorter steps (FLERT's 64 tokens of context triple a sentence on a CPU).
    for member, options in ((parameter.ModelTrainer.MINI_BATCH_SIZE, [32]), (TWE.USE_CONTEXT, [False])):
        if parameter.parameter_key(member) in {d.name for d in space.dimensions}:
            space.remove_parameter(member)
            space.add_parameter(member, options=options)
    strategy = search_strategies.BayesianSearch(seed=1)
    strategy.make_configurations(space)
    corpus = wnut_corpus if name in TAGGERS else trec_corpus
    result = orchestrator.Orchestrator(corpus, tmp_path, space, strategy).optimize()
    assert result.trials["complete"] == 1 and result.dev_score is not None
    saved = yaml.safe_load((tmp_path / "best-configuration.yaml").read_text())["configuration"]
    assert saved["training_mode"] == modes.get(name, "train")


def test_recipes_take_their_ranges_from_the_literature():
    ner = recipes.ner_fine_tune(model="xlm-roberta-large")
    learning_rate = ner.dimension("ModelTrainer.learning_rate")
    assert isinstance(learning_rate, Range) and (learning_rate.low, learning_rate.high, learning_rate.log) == (
        5e-6,
        1e-4,
        True,
    )
    assert ner.dimension("TransformerWordEmbeddings.use_context").grid_values() == [False, 64]  # FLERT's context
    assert recipes.tagger_frozen().dimension("SequenceTagger.hidden_size").grid_values() == [128, 256, 512]
    with pytest.raises(SearchSpaceError, match=r"there is no recipe 'ner-finetune'.*did you mean 'ner-fine-tune'"):
        recipes.recipe("ner-finetune")


def test_a_yaml_recipe_is_overridden_by_the_keys_beside_it(tmp_path):
    config = tmp_path / "search.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "recipe": {"name": "ner-fine-tune", "model": "xlm-roberta-large"},
                "corpus": {"dataset": "WNUT_17"},
                "base_path": str(tmp_path / "search"),
                "strategy": "bayesian",
                "budget": {"time_in_h": 12},
                "parameters": {"ModelTrainer.mini_batch_size": [4]},
            }
        )
    )
    run = load_run_config(config)
    assert run.search_space.budget == (parameter.Budget.TIME_IN_H, 12)
    assert run.search_space.dimension("ModelTrainer.mini_batch_size").grid_values() == [4]  # replaced
    assert run.search_space.dimension("ModelTrainer.learning_rate").high == 1e-4  # kept from the recipe


@pytest.mark.integration
def test_flair_hpo_runs_a_recipe_on_a_dataset_with_no_yaml(minilm_path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    command = ["run", "--dataset", "TREC_6", "--recipe", "classifier-frozen", "--model", minilm_path]
    assert main([*command, "--downsample", "0.05", "--runs", "2"]) == 0
    base = tmp_path / "hyperopt" / "trec_6-classifier-frozen"  # the corpus and the recipe, whatever the options
    assert "Best configuration (trial" in search_log(base)
    assert (base / "best-model.pt").exists() and (base / "report.html").exists()
    assert main(["run", "--dataset", "TREC_6"]) == 2  # a recipe is needed without a YAML file
    assert "--recipe" in capsys.readouterr().err
