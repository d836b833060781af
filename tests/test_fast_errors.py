"""Usage errors of `flair-hpo run` are found before torch and Flair are loaded (a second, not ten), and name the
real problem: a column that does not exist, a tag type that is not among the columns named, a classification
corpus with one label. Whether torch was loaded is read from the process that ran the command (its
``sys.modules``), not timed: ``bash scripts/benchmark.sh usage-error`` times it (docs/speed.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flair_hpo.cli.main import main

from .helpers import conll_folder, fasttext_folder

#: Runs each command line in one fresh interpreter and says, after each, its exit code, its message and whether
#: torch or Flair had been imported by then.
_RUNNER = """
import contextlib, io, json, sys
from flair_hpo.cli.main import main
found = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    found.append([code, err.getvalue(), "torch" in sys.modules or "flair" in sys.modules])
print(json.dumps(found))
"""


def run_in_fresh_process(commands: list[list[str]], cwd: Path) -> list[tuple[int, str, bool]]:
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(commands)], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(found) for found in json.loads(done.stdout.splitlines()[-1])]


def one_label_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text("".join(f"__label__A question {i} ?\n" for i in range(20)), encoding="utf-8")
    (folder / "test.txt").write_text("__label__A a question ?\n__label__B another ?\n", encoding="utf-8")
    return folder


def test_usage_errors_are_found_before_torch_is_imported(tmp_path):
    fasttext_folder(tmp_path / "questions")
    conll_folder(tmp_path / "tweets")
    one_label_folder(tmp_path / "one")
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump(
            {
                "corpus": {"folder": "questions"},
                "recipe": "classifier-frozen",
                "base_path": "x",
                "strategy": "random",
                "budgt": 1,
            }
        ),
        encoding="utf-8",
    )
    cases = {
        "a misspelt recipe": (
            ["--corpus", "questions", "--recipe", "clasifier-frozen"],
            "did you mean 'classifier-frozen'?",
        ),
        "a folder that is not there": (["--corpus", "nowhere", "--recipe", "classifier-frozen"], "does not exist"),
        "a recipe of the other task": (["--corpus", "tweets", "--recipe", "classifier-frozen"], "use ner-fine-tune or"),
        "a column beyond the files'": (
            ["--corpus", "tweets", "--recipe", "tagger-frozen", "--columns", "0:text,2:ner"],
            "--columns: column 2 does not exist (the files have 2 columns",
        ),
        "a tag type not among the columns": (
            ["--corpus", "tweets", "--recipe", "tagger-frozen", "--columns", "1:ner,0:text", "--tag-type", "pos"],
            "--tag-type: pos is not among the columns you named: ner",
        ),
        "one label": (["--corpus", "one", "--recipe", "classifier-frozen"], "has one label, A: a classifier needs two"),
        "a misspelt strategy": (
            ["--corpus", "questions", "--recipe", "classifier-frozen", "--strategy", "bayes"],
            "did you mean 'bayesian'?",
        ),
        "a misspelt key of a YAML file": ([], "unknown key 'budgt'; did you mean 'budget'?"),
    }
    commands = [["run", *options] if options else ["run", "bad.yaml"] for options, _ in cases.values()]
    for (case, (_, message)), (code, err, loaded) in zip(
        cases.items(), run_in_fresh_process(commands, tmp_path), strict=True
    ):
        assert code == 2 and message in err and err.count("\n") == 1, (case, err)
        assert not loaded, f"{case}: torch or Flair was imported before the error was said"


def test_column_and_tag_type_mistakes_name_the_real_problem(tmp_path, capsys):
    folder = conll_folder(tmp_path / "tweets")  # a word and its tag a line: two columns
    assert main(["run", "--corpus", str(folder), "--recipe", "tagger-frozen", "--columns", "0:text,2:ner"]) == 2
    assert "column 2 does not exist (the files have 2 columns, numbered from 0)" in capsys.readouterr().err
    command = ["run", "--corpus", str(folder), "--recipe", "tagger-frozen", "--columns", "1:ner,0:text"]
    assert main([*command, "--tag-type", "pos"]) == 2
    assert capsys.readouterr().err == "flair-hpo: error: --tag-type: pos is not among the columns you named: ner\n"
    # In a YAML file, the same mistakes by their keys.
    config = {"corpus": {"folder": str(folder), "columns": {0: "text", 3: "ner"}}, "recipe": "tagger-frozen"}
    config |= {"base_path": str(tmp_path / "search"), "strategy": "random"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["run", str(tmp_path / "c.yaml")]) == 2
    assert "corpus: columns: column 3 does not exist (the files have 2 columns" in capsys.readouterr().err
    config["corpus"]["columns"] = {0: "text", 1: "ner"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({**config, "tag_type": "pos"}), encoding="utf-8")
    assert main(["run", str(tmp_path / "c.yaml")]) == 2
    assert "tag_type: pos is not among the columns of corpus: ner" in capsys.readouterr().err
    assert not (tmp_path / "search").exists()


def test_a_classification_folder_with_one_label_is_refused_before_training(tmp_path, capsys):
    folder = one_label_folder(tmp_path / "one")
    assert (
        main(["run", "--corpus", str(folder), "--recipe", "classifier-frozen", "--base-path", str(tmp_path / "s")]) == 2
    )
    err = capsys.readouterr().err
    assert f"{folder / 'train.txt'} has one label, A: a classifier needs two or more" in err, err
    assert not (tmp_path / "s").exists()


def test_a_corpus_with_one_label_is_refused_in_python_too(tmp_path):
    from flair.datasets import ClassificationCorpus

    from flair_hpo.errors import CorpusError
    from flair_hpo.space import TextClassifierSearchSpace
    from flair_hpo.training.corpus import check_corpus

    corpus = ClassificationCorpus(one_label_folder(tmp_path / "one"), label_type="class")
    with pytest.raises(CorpusError, match="the train split has one label, A: a classifier needs two or more"):
        check_corpus(corpus, TextClassifierSearchSpace())


@pytest.mark.parametrize(
    "names",
    [
        ["train.txt", "dev.txt", "test.txt"],
        ["train.txt", "test.txt"],
        ["en.train", "en.testa", "en.testb"],
        ["train.conll", "dev.conll", "test.conll", "train.conll.gz", "notes.swp"],
        ["wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"],
        ["train-54019.txt", "my_train.txt", "test.txt"],
        ["training.txt"],
        ["readme.md"],
    ],
)
def test_the_split_files_are_found_as_flair_finds_them(names, tmp_path):
    from flair.datasets.base import find_train_dev_test_files

    from flair_hpo.training.split_files import find_split_files

    for name in names:
        (tmp_path / name).write_text("x\n")
    dev, test, train = find_train_dev_test_files(tmp_path, None, None, None)
    found = find_split_files(tmp_path)
    assert (found.train, found.dev, found.test) == (train, dev, test)
    given = find_split_files(tmp_path, names[0])  # a training file named: nothing else is looked for
    assert (given.train, given.dev, given.test) == (tmp_path / names[0], None, None)
    assert find_train_dev_test_files(tmp_path, None, None, names[0])[::-1] == (tmp_path / names[0], None, None)


def test_every_recipe_tells_its_task_and_model_without_being_built():
    import inspect

    from flair_hpo.space.recipes import RECIPES, default_model, recipe_task

    for name, make in RECIPES.items():
        space = make()
        assert recipe_task(name) == space.task
        parameter = inspect.signature(make).parameters.get("model")
        assert default_model(name) == (parameter.default if parameter else None)


def test_a_folder_without_a_search_names_the_searches_near_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("questions-classifier-frozen", "trec6"):  # two searches' folders, as a search leaves them
        (tmp_path / "hyperopt" / name).mkdir(parents=True)
        (tmp_path / "hyperopt" / name / "study.journal").write_text("")
    (tmp_path / "hyperopt" / "notes").mkdir()
    both = "hyperopt/questions-classifier-frozen, hyperopt/trec6"
    for command in ("show", "report", "train", "evaluate", "predict"):
        extra = ["some text"] if command == "predict" else []
        assert main([command, "hyperopt", *extra]) == 2
        err = capsys.readouterr().err
        assert "hyperopt holds no flair-hpo search: give a search's folder" in err, err
        assert f"the searches below it: {both} (e.g. flair-hpo {command} {both.split(',')[0]})" in err, err
        assert main([command, "hyperopt/questions-classifier-frozen-model-1ep", *extra]) == 2
        err = capsys.readouterr().err
        assert "hyperopt/questions-classifier-frozen-model-1ep does not exist: give a search's folder" in err
        assert f"the searches beside it: {both}" in err, err
    assert main(["show", "hyperopt/notes"]) == 2
    assert f"the searches beside it: {both}" in capsys.readouterr().err


def test_a_folder_without_a_search_is_said_before_torch_is_imported(tmp_path):
    missing = "nowhere does not exist: give"
    cases = [([command, "nowhere"], missing) for command in ("show", "report", "train", "evaluate")]
    cases += [(["predict", "nowhere", "some text"], missing), (["predict", "nowhere"], "--file FILE, one of the two")]
    found = run_in_fresh_process([command for command, _ in cases], tmp_path)
    for (command, message), (code, err, loaded) in zip(cases, found, strict=True):
        assert code == 2 and message in err and err.count("\n") == 1, (command, err)
        assert not loaded, f"{command}: torch or Flair was imported before the error was said"


def test_the_file_names_the_commands_look_for_are_those_a_search_writes():
    # Spelt out in the command-line modules so that they load nothing; held here to the modules that write them.
    from flair_hpo.cli.model_files import MODEL_FILES
    from flair_hpo.cli.nearby import MARKERS
    from flair_hpo.results.best import BEST_CONFIGURATION, BEST_MODEL, FINAL_MODEL
    from flair_hpo.study.storages import JOURNAL_FILE

    assert MARKERS == (JOURNAL_FILE, BEST_CONFIGURATION) and MODEL_FILES == (BEST_MODEL, FINAL_MODEL)
