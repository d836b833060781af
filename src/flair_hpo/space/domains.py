"""The values each numeric parameter may take: what Flair and torch accept, and nothing so large it can only be
a slip; an option or range outside is refused when added to a search space."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from flair_hpo.checks import is_real_number
from flair_hpo.space import parameter_enums as p


@dataclass(frozen=True)
class Domain:
    """``low`` .. ``high``, either end open (excluded) when said."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def describe(self) -> str:
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"


_RATE = Domain(0, 100, open_low=True)
_COUNT = Domain(1, 100_000)
_DROPOUT = Domain(0, 1)  # torch.nn.Dropout takes 0 to 1
_PROBABILITY = Domain(0, 1)

DOMAINS: dict[Enum, Domain] = {
    p.ModelTrainer.LEARNING_RATE: _RATE,
    p.ModelTrainer.DECODER_LEARNING_RATE: _RATE,
    p.ModelTrainer.MIN_LEARNING_RATE: Domain(0, 100),
    p.ModelTrainer.MINI_BATCH_SIZE: _COUNT,
    p.ModelTrainer.MINI_BATCH_CHUNK_SIZE: _COUNT,
    p.ModelTrainer.ANNEAL_FACTOR: Domain(0, 1, open_low=True, open_high=True),
    p.ModelTrainer.PATIENCE: Domain(0, 10_000),
    p.ModelTrainer.INITIAL_EXTRA_PATIENCE: Domain(0, 10_000),
    p.ModelTrainer.WARMUP_FRACTION: _PROBABILITY,
    p.ModelTrainer.MAX_EPOCHS: _COUNT,
    p.Optimizer.WEIGHT_DECAY: Domain(0, 10),
    p.Optimizer.MOMENTUM: _PROBABILITY,
    p.Optimizer.DAMPENING: _PROBABILITY,
    p.Optimizer.EPS: Domain(0, 1, open_low=True),
    p.SequenceTagger.HIDDEN_SIZE: _COUNT,
    p.SequenceTagger.RNN_LAYERS: Domain(1, 100),
    p.SequenceTagger.DROPOUT: _DROPOUT,
    p.SequenceTagger.WORD_DROPOUT: _DROPOUT,
    p.SequenceTagger.LOCKED_DROPOUT: _DROPOUT,
    p.TextClassifier.DROPOUT: _DROPOUT,
    p.TextClassifier.WORD_DROPOUT: _DROPOUT,
    p.TextClassifier.LOCKED_DROPOUT: _DROPOUT,
    p.TextClassifier.MULTI_LABEL_THRESHOLD: Domain(0, 1, open_low=True, open_high=True),
    p.DocumentRNNEmbeddings.HIDDEN_SIZE: _COUNT,
    p.DocumentRNNEmbeddings.RNN_LAYERS: Domain(1, 100),
    p.DocumentRNNEmbeddings.REPROJECT_WORDS_DIMENSION: _COUNT,
    p.DocumentRNNEmbeddings.DROPOUT: _DROPOUT,
    p.DocumentRNNEmbeddings.WORD_DROPOUT: _DROPOUT,
    p.DocumentRNNEmbeddings.LOCKED_DROPOUT: _DROPOUT,
    p.DocumentCNNEmbeddings.REPROJECT_WORDS_DIMENSION: _COUNT,
    p.DocumentCNNEmbeddings.DROPOUT: _DROPOUT,
    p.DocumentCNNEmbeddings.WORD_DROPOUT: _DROPOUT,
    p.DocumentCNNEmbeddings.LOCKED_DROPOUT: _DROPOUT,
    p.TransformerWordEmbeddings.CONTEXT_DROPOUT: _PROBABILITY,
    p.TransformerWordEmbeddings.USE_CONTEXT: Domain(0, 100_000),  # False/True, or a number of context tokens
}


def outside(member: Enum, value: Any) -> str | None:
    """Why the number ``value`` lies outside ``member``'s domain, or None (also for what is not a number)."""
    domain = DOMAINS.get(member)
    if domain is None or not is_real_number(value) or isinstance(value, bool) or domain.contains(value):
        return None
    return f"must lie in {domain.describe()}, not {value!r}"
