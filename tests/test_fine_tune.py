"""Fine-tuned transformers are trained the way Flair trains them (ModelTrainer.fine_tune: AdamW, a linear
schedule with warm-up), with scoring, pruning, the time budget and the heartbeat as in train mode."""

from __future__ import annotations

import optuna
import pytest
import yaml

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.cli import main
from flair_hpo.errors import SearchSpaceError, SettingsError
from flair_hpo.results.study_view import open_for_reading

#: The share of WNUT_17 these tests fine-tune on: fine-tuning costs about a second a batch on two cores, and
#: nothing here depends on the corpus's size (the flair-hpo train test loads the same share by its YAML).
SHARE = 0.02


@pytest.fixture(scope="module")
def small_wnut():
    """2% of WNUT_17 (68 train, 20 dev, 26 test sentences), the same on every run: ``corpus: {dataset: WNUT_17,
    downsample: 0.02, seed: 1}`` loads it too."""
    import flair
    from flair.datasets import WNUT_17

    flair.set_seed(1)
    return WNUT_17().downsample(SHARE)


def tagger_space(minilm_path: str, fine_tune: bool = True, epochs: int = 1):
    space = search_spaces.SequenceTaggerSearchSpace()
    space.add_budget(parameter.Budget.RUNS, 2)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(epochs)
    space.add_tag_type("ner")
    transformer = {"class": "TransformerWordEmbeddings", "model": minilm_path, "fine_tune": fine_tune}
    space.add_word_embeddings(options=[[transformer]])
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=5e-5, high=5e-4, log=True)
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[16])
    space.add_parameter(parameter.SequenceTagger.USE_RNN, options=[False])
    space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[False])
    return space


@pytest.mark.integration
def test_a_fine_tuned_transformer_is_trained_with_fine_tune_and_retrained_to_the_same_score(
    small_wnut, minilm_path, tmp_path, capsys
):
    space = tagger_space(minilm_path)
    strategy = search_strategies.RandomSearch(seed=1)
    strategy.make_configurations(space)
    base = tmp_path / "search"
    result = orchestrator.Orchestrator(small_wnut, base, space, strategy).optimize()
    assert result.trials["complete"] == 2
    for trial in ("trial-0000", "trial-0001"):
        log_text = (base / "trials" / trial / "training.log").read_text()
        assert "flair-hpo: optimizer AdamW" in log_text and "- LinearScheduler" in log_text
        assert "ObjectiveAnnealing" not in log_text
    saved = yaml.safe_load((base / "best-configuration.yaml").read_text())
    assert saved["configuration"]["training_mode"] == "fine_tune"
    # Nothing fine-tuned is stored (its vectors change in every trial).
    assert "computing TransformerWordEmbeddings" not in (base / "flair-hpo.log").read_text()

    # flair-hpo train reproduces the trial's model from best-configuration.yaml.
    config = tmp_path / "corpus.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "sequence_labeling",
                "tag_type": "ner",
                "base_path": str(tmp_path / "unused"),
                "corpus": {"dataset": "WNUT_17", "downsample": SHARE, "seed": 1},
                "strategy": "random",
                "budget": {"runs": 1},
                "evaluation_metric": "micro_f1_score",
                "optimization_value": "dev_score",
                "max_epochs_per_training_run": 1,
                "parameters": {"SequenceTagger.embeddings": [[{"class": "WordEmbeddings", "embeddings": "glove"}]]},
            }
        )
    )
    again = tmp_path / "again"
    assert (
        main(["train", str(base / "best-configuration.yaml"), "--corpus-from", str(config), "--base-path", str(again)])
        == 0
    )
    log_text = (again / "training.log").read_text()
    assert "flair-hpo: optimizer AdamW" in log_text and "- LinearScheduler" in log_text
    from flair.models import SequenceTagger

    from flair_hpo import Configuration
    from flair_hpo.training import Objective

    configuration = Configuration.load(base / "best-configuration.yaml")
    model = SequenceTagger.load(again / "best-model.pt")
    dev = Objective.of(configuration).test_score(model, configuration, small_wnut.dev)
    assert dev == pytest.approx(result.dev_score, abs=1e-6)


@pytest.mark.integration
@pytest.mark.parametrize("fine_tune", [True, False], ids=["fine_tune", "train"])
def test_scoring_pruning_time_budget_and_heartbeat_work_in_both_modes(small_wnut, minilm_path, tmp_path, fine_tune):
    mode = "fine_tune" if fine_tune else "train"
    # Pruning: no F1 reaches 1.1, so every trial is pruned after its first epoch, keeping that epoch's score.
    space = tagger_space(minilm_path, fine_tune=fine_tune, epochs=2)
    strategy = search_strategies.RandomSearch(seed=2)
    strategy.make_configurations(space)
    always = optuna.pruners.ThresholdPruner(lower=1.1)
    orchestrator.Orchestrator(
        small_wnut, tmp_path / "pruned", space, strategy, pruner=always, heartbeat_interval=1
    ).optimize()
    trials = open_for_reading(tmp_path / "pruned").study.get_trials()
    assert len(trials) == 2
    pruned, last_call = trials  # the last run trains the pruned best model's configuration to the end
    assert pruned.state == optuna.trial.TrialState.PRUNED and pruned.user_attrs["epochs"] == 1
    assert pruned.user_attrs["value"] == pruned.intermediate_values[1]  # scored on dev after the epoch
    assert last_call.state == optuna.trial.TrialState.COMPLETE and last_call.user_attrs["last_call"]
    assert last_call.user_attrs["epochs"] == 2 and last_call.params == pruned.params
    for trial in trials:
        assert "flair_hpo:heartbeat" in trial.system_attrs  # it beat while it trained
    log_text = (tmp_path / "pruned" / "trials" / "trial-0000" / "training.log").read_text()
    assert ("LinearScheduler" in log_text) == (mode == "fine_tune")
    assert ("ObjectiveAnnealing" in log_text) == (mode == "train")

    # The time budget: about a second, so the first trial stops at an epoch boundary long before its last epoch,
    # with its best epoch so far, and no other trial starts.
    space = tagger_space(minilm_path, fine_tune=fine_tune, epochs=100)
    space.add_budget(parameter.Budget.TIME_IN_H, 0.0003)
    if not fine_tune:  # on this small corpus, annealing would end the training before the time budget does
        space.add_parameter(parameter.ModelTrainer.PATIENCE, options=[100])
    strategy = search_strategies.RandomSearch(seed=2)
    strategy.make_configurations(space)
    result = orchestrator.Orchestrator(small_wnut, tmp_path / "timed", space, strategy, pruner="none").optimize()
    (only,) = open_for_reading(tmp_path / "timed").study.get_trials()
    assert only.state == optuna.trial.TrialState.COMPLETE and only.user_attrs["stopped_by_time_budget"]
    epochs = only.user_attrs["epochs"]
    assert 1 <= epochs < 100 and len(only.intermediate_values) == epochs
    assert only.value == max(only.intermediate_values.values()) == result.dev_score


def test_mode_arguments_of_the_other_mode_are_refused(minilm_path):
    space = tagger_space(minilm_path, fine_tune=True)
    space.add_parameter(parameter.ModelTrainer.PATIENCE, options=[1, 2])
    with pytest.raises(SearchSpaceError, match=r"ModelTrainer.patience never reaches Flair.*train\(\)"):
        space.check()
    space = tagger_space(minilm_path, fine_tune=True)
    space.add_training_mode(parameter.TrainingMode.TRAIN)
    space.add_parameter(parameter.ModelTrainer.WARMUP_FRACTION, options=[0.1])
    with pytest.raises(SearchSpaceError, match=r"ModelTrainer.warmup_fraction never reaches Flair.*fine_tune\(\)"):
        space.check()


def test_mixed_precision_is_refused_on_a_cpu(small_wnut, minilm_path, tmp_path):
    space = tagger_space(minilm_path)
    space.add_parameter(parameter.ModelTrainer.USE_AMP, options=[True])
    strategy = search_strategies.RandomSearch(seed=1)
    strategy.make_configurations(space)
    with pytest.raises(SettingsError, match=r"use_amp .* needs a GPU"):
        orchestrator.Orchestrator(small_wnut, tmp_path / "amp", space, strategy)
    assert not (tmp_path / "amp").exists()


@pytest.mark.integration
def test_a_fine_tuned_trial_never_leaks_its_weights_into_the_next(small_wnut, minilm_path, tmp_path):
    import torch

    from flair_hpo.space import Configuration
    from flair_hpo.training import train_configuration
    from flair_hpo.training.corpus import label_dictionary
    from flair_hpo.training.model_factory import build_model

    space = tagger_space(minilm_path)
    labels = space.sample(__import__("random").Random(1))
    configuration = Configuration.from_labels(space, labels, "ner", seed=1)
    dictionary = label_dictionary(small_wnut, "ner")
    fresh = build_model(configuration, dictionary)
    trained = train_configuration(configuration, small_wnut, tmp_path, label_dictionary=dictionary).model
    following = build_model(configuration, dictionary)  # what the next trial starts from
    name = "embeddings.model.encoder.layer.0.attention.self.query.weight"
    start, after, next_start = (m.state_dict()[name] for m in (fresh, trained, following))
    assert not torch.equal(start, after)  # fine-tuning changed the transformer ...
    assert torch.equal(start, next_start)  # ... and the next trial starts from the pretrained weights again
