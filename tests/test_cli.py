"""The flair-hpo command and its YAML files: real runs, and every input mistake reported cleanly."""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest
import yaml

from flair_hpo.cli import main
from flair_hpo.records import History, TrialStatus
from flair_hpo.study import open_storage

from .conftest import FLAIR_CACHE
from .helpers import search_log, trec_config, write

WNUT = FLAIR_CACHE / "datasets" / "wnut_17"


@pytest.mark.integration
def test_run_show_and_train_again(tmp_path, trec_vectors, capsys):
    config = write(tmp_path / "trec.yaml", trec_config(tmp_path, trec_vectors))
    assert main(["run", str(config)]) == 0
    capsys.readouterr()
    assert "Best configuration (trial" in search_log(tmp_path / "trec") and "Best model:" in search_log(
        tmp_path / "trec"
    )

    assert main(["show", str(tmp_path / "trec")]) == 0
    shown = capsys.readouterr().out
    table = shown.split("\n\n")[0].splitlines()
    assert table[0].split()[:4] == ["rank", "trial", "status", "dev"]
    trials = [line for line in table[2:] if not line.startswith("(")]  # not the note of columns left out
    assert len(trials) == 2 and all("complete" in line for line in trials)
    assert "best-configuration.yaml" in shown and "DocumentPoolEmbeddings.embeddings" in shown

    # The same folder for another search: what differs in one line, named as the file names it.
    changed = trec_config(tmp_path, trec_vectors, max_epochs=2, strategy="evolutionary")
    del changed["max_epochs_per_training_run"]
    changed["parameters"]["ModelTrainer.learning_rate"] = [0.2]
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "trec").iterdir())
    assert main(["run", str(write(tmp_path / "changed.yaml", changed)), "--base-path", str(tmp_path / "trec")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"flair-hpo: error: {tmp_path / 'trec'} holds the study of a search with other settings: ")
    differ = "ModelTrainer.learning_rate; max_epochs: 1 in the study, 2 now; strategy: RandomSearch in the study, "
    assert differ + "EvolutionarySearch now." in err, err
    assert err.endswith(
        f"To start afresh, give another --base-path (or base_path: in the file), or delete {tmp_path / 'trec'}\n"
    )
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "trec").iterdir()) == before

    retrained = tmp_path / "retrained"
    best = tmp_path / "trec" / "best-configuration.yaml"
    assert main(["train", str(best), "--corpus-from", str(config), "--base-path", str(retrained)]) == 0
    from flair.models import TextClassifier

    assert TextClassifier.load(retrained / "best-model.pt").label_type == "question_class"


@pytest.mark.integration
def test_run_a_tagger_on_a_column_corpus_folder(tmp_path, wnut_vectors, capsys):
    config = write(
        tmp_path / "wnut.yaml",
        {
            "task": "sequence_labeling",
            "tag_type": "ner",
            "corpus": {
                "folder": str(WNUT),
                "format": "column",
                "columns": {0: "text", 1: "ner"},
                "train_file": "wnut17train.conll",
                "dev_file": "emerging.dev.conll",
                "test_file": "emerging.test.annotated",
                "downsample": 0.05,
            },
            "base_path": str(tmp_path / "wnut"),
            "strategy": "grid",
            "budget": {"runs": 2},
            "evaluation_metric": "micro_f1_score",
            "optimization_value": "dev_loss",
            "max_epochs_per_training_run": 1,
            "parameters": {
                "SequenceTagger.hidden_size": [16, 32],
                "SequenceTagger.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": str(wnut_vectors)}]],
            },
        },
    )
    assert main(["run", str(config)]) == 0
    assert "Best configuration (trial" in search_log(tmp_path / "wnut")
    assert (tmp_path / "wnut" / "best-model.pt").exists()


@pytest.mark.integration
def test_run_a_classifier_on_a_fasttext_corpus_folder(tmp_path, trec_vectors, capsys):
    import shutil

    folder = tmp_path / "questions"  # TREC_6 as Flair keeps it: FastText lines, __label__X text
    folder.mkdir()
    for name in ("train.txt", "test.txt"):
        shutil.copy(FLAIR_CACHE / "datasets" / "trec_6" / name, folder / name)
    config = trec_config(tmp_path, trec_vectors)
    config["corpus"] = {"folder": str(folder), "format": "classification", "label_type": "topic", "downsample": 0.05}
    config["budget"] = {"runs": 1}
    assert main(["run", str(write(tmp_path / "fasttext.yaml", config))]) == 0
    assert "Best configuration (trial 0" in search_log(tmp_path / "trec")
    assert (
        yaml.safe_load((tmp_path / "trec" / "best-configuration.yaml").read_text())["configuration"]["label_type"]
        == "topic"
    )


def bad(tmp_path, vectors, **changes) -> dict:
    return trec_config(tmp_path, vectors, **changes)


BAD_CONFIGS = {
    "misspelled top-level key": (
        lambda t, v: {**bad(t, v), "budgt": {"runs": 1}},
        "unknown key 'budgt'; did you mean 'budget'?",
    ),
    "missing budget": (lambda t, v: {k: x for k, x in bad(t, v).items() if k != "budget"}, "missing key 'budget'"),
    "non-positive budget": (lambda t, v: bad(t, v, budget={"runs": -2}), "RUNS budget must be positive"),
    "two budgets": (lambda t, v: bad(t, v, budget={"runs": 2, "time_in_h": 1}), "give exactly one of"),
    "unknown strategy": (lambda t, v: bad(t, v, strategy="evolutionery"), "did you mean 'evolutionary'?"),
    "unknown strategy setting": (
        lambda t, v: bad(t, v, strategy={"name": "evolutionary", "populaton_size": 4}),
        "unexpected keyword argument 'populaton_size'",
    ),
    "bad metric": (lambda t, v: bad(t, v, evaluation_metric="f1"), "evaluation_metric: 'f1' is not one of"),
    "unknown parameter group": (
        lambda t, v: bad(t, v, parameters={"ModelTrainr.learning_rate": [0.1]}),
        "did you mean 'ModelTrainer'?",
    ),
    "unknown parameter": (
        lambda t, v: bad(t, v, parameters={"ModelTrainer.learnng_rate": [0.1]}),
        "ModelTrainer has no parameter 'learnng_rate'",
    ),
    "range with a typo": (
        lambda t, v: bad(t, v, parameters={"ModelTrainer.learning_rate": {"low": 0.1, "hihg": 0.2}}),
        "a range is {low: ..., high: ..., log: true/false}",
    ),
    "parameter of the other task": (
        lambda t, v: bad(t, v, parameters={"SequenceTagger.hidden_size": [8]}),
        "does not belong to text classification",
    ),
    "grid with a range": (lambda t, v: bad(t, v, strategy="grid"), "GridSearch needs a list of options"),
    "unknown dataset": (lambda t, v: bad(t, v, corpus={"dataset": "TREC6"}), "did you mean 'TREC_6'?"),
    "missing corpus folder": (lambda t, v: bad(t, v, corpus={"folder": str(t / "nope")}), "does not exist"),
    "corpus key typo": (lambda t, v: bad(t, v, corpus={"dataset": "TREC_6", "downsampel": 0.1}), "'downsampel'"),
    "base_path is a file": (lambda t, v: bad(t, v, base_path=str(v)), "is a file"),
    "unknown task": (lambda t, v: bad(t, v, task="ner"), "is not text_classification or sequence_labeling"),
    "tagger without tag type": (lambda t, v: bad(t, v, task="sequence_labeling"), "missing key 'tag_type'"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=list(BAD_CONFIGS))
def test_bad_configurations_exit_2_with_one_clear_message(case, tmp_path, trec_vectors, capsys):
    make, message = BAD_CONFIGS[case]
    config = write(tmp_path / "bad.yaml", make(tmp_path, trec_vectors))
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flair-hpo: error: ") and message in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "trec").exists()


def test_unreadable_and_missing_files(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("task: [unclosed\n")
    assert main(["run", str(broken)]) == 2
    assert "not readable YAML" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["show", str(tmp_path)]) == 2
    assert "holds no flair-hpo search" in capsys.readouterr().err


def test_the_installed_command_reports_errors_without_a_traceback(tmp_path):
    config = write(tmp_path / "bad.yaml", {"task": "text_classification", "budgt": 1})
    done = subprocess.run(
        [sys.executable, "-m", "flair_hpo.cli", "run", str(config)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("flair-hpo: error:") and "Traceback" not in done.stderr


@pytest.mark.integration
def test_the_example_yaml_runs(example_run):
    """`flair-hpo run examples/trec6.yaml` as documented, with the offline MiniLM for the hub name, a smaller
    corpus, one epoch and two runs (``example_run``: one run for this test and docs/command-line.md's)."""
    example_run.assert_succeeded()
    assert "Best configuration (trial" in search_log(example_run.folder / "hyperopt" / "trec6-yaml")


@pytest.mark.integration
def test_a_yaml_start_is_the_first_trial_whatever_the_strategy(tmp_path, trec_vectors):
    """YAML ``start:``: the known-good configuration is trained first, then the strategy's proposals."""
    start = {"ModelTrainer.learning_rate": 0.05, "ModelTrainer.mini_batch_size": 13}
    changes = {"strategy": {"name": "bayesian", "seed": 1}, "start": [start]}
    config = write(tmp_path / "trec.yaml", trec_config(tmp_path, trec_vectors, **changes))
    assert main(["run", str(config)]) == 0
    history = History.of(optuna.load_study(study_name=None, storage=open_storage(None, tmp_path / "trec")))
    first, second = history.records
    assert first.status is TrialStatus.COMPLETE and first.value is not None
    assert {k: first.labels[k] for k in start} == start
    assert second.status is TrialStatus.COMPLETE and second.key != first.key
