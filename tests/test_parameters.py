"""Every parameter reaches a real argument of the installed Flair, and is routed to the right place."""

from __future__ import annotations

import inspect

import pytest

import flair_hpo.parameters as parameter
from flair_hpo.space import Configuration
from flair_hpo.space.argument_checks import resolve, target_parameters
from flair_hpo.training.model_factory import build_model, training_arguments

ALL_MEMBERS = [member for group in parameter.FLAIR_TARGETS for member in group]


@pytest.mark.parametrize("member", ALL_MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_member_is_an_argument_of_its_flair_class(member):
    group = type(member)
    accepted = set()
    for dotted in parameter.FLAIR_TARGETS[group]:
        target = resolve(dotted)
        function = target.__init__ if inspect.isclass(target) else target
        accepted |= set(inspect.signature(function).parameters)
    assert member.value in accepted, f"{group.__name__}.{member.name} ({member.value}) is not in {sorted(accepted)}"


def test_targets_forward_keyword_arguments_where_several_are_listed():
    # TextClassifier hands **classifierargs to DefaultClassifier; Transformer*Embeddings hand **kwargs to
    # TransformerEmbeddings: listing the base is right only if the subclass forwards keyword arguments.
    from flair.embeddings import TransformerDocumentEmbeddings, TransformerWordEmbeddings
    from flair.models import TextClassifier

    for cls in (TextClassifier, TransformerDocumentEmbeddings, TransformerWordEmbeddings):
        kinds = {p.kind for p in inspect.signature(cls.__init__).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD in kinds


def test_model_trainer_passes_unknown_keywords_to_the_optimizer():
    # Optimizer members travel through ModelTrainer.train(**kwargs) into the optimizer's constructor.
    from flair.trainers import ModelTrainer

    source = inspect.getsource(ModelTrainer.train_custom)
    assert "optimizer(params=self.model.parameters(), **kwargs)" in source
    assert "train_with_dev" in target_parameters(parameter.ModelTrainer)


def _configuration(task: str, parameters: dict, label_type: str = "label") -> Configuration:
    return Configuration(task=task, label_type=label_type, parameters=parameters, max_epochs=1)


def test_sequence_tagger_parameters_reach_the_tagger(wnut_vectors):
    from flair.data import Dictionary

    dictionary = Dictionary(add_unk=False)
    for tag in ("person", "location"):
        dictionary.add_item(tag)
    config = _configuration(
        "sequence_labeling",
        {
            "SequenceTagger.embeddings": [{"class": "WordEmbeddings", "embeddings": str(wnut_vectors)}],
            "SequenceTagger.hidden_size": 17,
            "SequenceTagger.rnn_layers": 2,
            "SequenceTagger.use_crf": False,
            "SequenceTagger.dropout": 0.25,
            "SequenceTagger.reproject_embeddings": False,
            "SequenceTagger.rnn_type": "GRU",
        },
        "ner",
    )
    tagger = build_model(config, dictionary)
    assert tagger.hidden_size == 17
    assert tagger.rnn.num_layers == 2
    assert isinstance(tagger.rnn, __import__("torch").nn.GRU)
    assert tagger.use_crf is False
    assert tagger.dropout.p == 0.25
    assert tagger.reproject_embeddings is False


def test_document_rnn_parameters_reach_the_document_embeddings(trec_vectors):
    from flair.data import Dictionary

    dictionary = Dictionary(add_unk=False)
    dictionary.add_item("A")
    dictionary.add_item("B")
    config = _configuration(
        "text_classification",
        {
            "document_embeddings": "DocumentRNNEmbeddings",
            "DocumentRNNEmbeddings.embeddings": [{"class": "WordEmbeddings", "embeddings": str(trec_vectors)}],
            "DocumentRNNEmbeddings.hidden_size": 23,
            "DocumentRNNEmbeddings.rnn_type": "LSTM",
            "DocumentRNNEmbeddings.bidirectional": True,
            "TextClassifier.dropout": 0.3,
        },
    )
    classifier = build_model(config, dictionary)
    assert type(classifier.embeddings).__name__ == "DocumentRNNEmbeddings"
    assert classifier.embeddings.rnn.hidden_size == 23
    assert classifier.embeddings.rnn.bidirectional
    assert classifier.dropout.p == 0.3


def test_pool_and_cnn_parameters_reach_their_classes(trec_vectors):
    from flair.data import Dictionary

    dictionary = Dictionary(add_unk=False)
    dictionary.add_item("A")
    words = [{"class": "WordEmbeddings", "embeddings": str(trec_vectors)}]
    pool = build_model(
        _configuration(
            "text_classification",
            {
                "document_embeddings": "DocumentPoolEmbeddings",
                "DocumentPoolEmbeddings.embeddings": words,
                "DocumentPoolEmbeddings.pooling": "max",
            },
        ),
        dictionary,
    )
    assert pool.embeddings.pooling == "max"
    cnn = build_model(
        _configuration(
            "text_classification",
            {
                "document_embeddings": "DocumentCNNEmbeddings",
                "DocumentCNNEmbeddings.embeddings": words,
                "DocumentCNNEmbeddings.kernels": [[7, 2], [5, 3]],
            },
        ),
        dictionary,
    )
    assert [conv.out_channels for conv in cnn.embeddings.convs] == [7, 5]


def test_trainer_and_optimizer_arguments_go_to_train_and_only_to_optimizers_that_take_them():
    import torch

    arguments = training_arguments(
        _configuration(
            "text_classification",
            {
                "ModelTrainer.learning_rate": 0.02,
                "ModelTrainer.mini_batch_size": 8,
                "ModelTrainer.optimizer": "torch.optim.adam.Adam",
                "Optimizer.momentum": 0.9,
                "Optimizer.weight_decay": 0.01,
                "Optimizer.betas": [0.8, 0.9],
            },
        )
    )
    assert arguments == {
        "learning_rate": 0.02,
        "mini_batch_size": 8,
        "optimizer": torch.optim.Adam,
        "weight_decay": 0.01,
        "betas": (0.8, 0.9),
    }
    sgd = training_arguments(_configuration("text_classification", {"Optimizer.momentum": 0.9}))
    assert sgd == {"optimizer": torch.optim.SGD, "momentum": 0.9}


def test_transformer_word_parameters_apply_to_transformer_word_options(monkeypatch):
    from flair_hpo.training import model_factory

    built = []
    monkeypatch.setattr(model_factory, "build_embedding", lambda spec: built.append(spec) or spec)
    config = _configuration(
        "sequence_labeling",
        {"TransformerWordEmbeddings.layers": "-1,-2", "TransformerWordEmbeddings.subtoken_pooling": "mean"},
    )
    model_factory.build_word_embeddings(
        [{"class": "TransformerWordEmbeddings", "model": "m"}, {"class": "WordEmbeddings", "embeddings": "e"}], config
    )
    assert built == [
        {"class": "TransformerWordEmbeddings", "model": "m", "layers": "-1,-2", "subtoken_pooling": "mean"},
        {"class": "WordEmbeddings", "embeddings": "e"},
    ]


def test_small_learning_rates_are_not_stopped_by_flairs_minimum():
    small = training_arguments(_configuration("text_classification", {"ModelTrainer.learning_rate": 3e-5}))
    assert small["min_learning_rate"] == pytest.approx(3e-8)
    usual = training_arguments(_configuration("text_classification", {"ModelTrainer.learning_rate": 0.1}))
    assert "min_learning_rate" not in usual
    tuned = training_arguments(
        _configuration(
            "text_classification", {"ModelTrainer.learning_rate": 3e-5, "ModelTrainer.min_learning_rate": 1e-4}
        )
    )
    assert tuned["min_learning_rate"] == 1e-4
