"""A user's own corpus folder from the command line: its format told from its files, defaults as Flair users
expect them, every mistake of a YAML file at once; searched and retrained end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flair_hpo.cli import main
from flair_hpo.cli.run_config import load_run_config
from flair_hpo.errors import CorpusError, UntrustedInputError
from flair_hpo.space import Configuration
from flair_hpo.space.trust import Allowance, check_paths
from flair_hpo.training.corpus_folder import parse_columns, read_corpus_folder

from .helpers import conll_folder, copy_study, fasttext_folder, write


def test_the_format_task_and_labels_are_told_from_the_files(tmp_path):
    questions = read_corpus_folder(fasttext_folder(tmp_path / "questions"))
    assert questions.section == {
        "folder": str(tmp_path / "questions"),
        "format": "classification",
        "label_type": "class",
    }
    assert (questions.task, questions.label_type) == ("text_classification", "class")
    tweets = read_corpus_folder(conll_folder(tmp_path / "tweets"))
    assert tweets.section["format"] == "column" and tweets.section["columns"] == {0: "text", 1: "ner"}
    assert (tweets.task, tweets.label_type) == ("sequence_labeling", "ner")
    assert read_corpus_folder(tmp_path / "tweets", tag_type="entity").section["columns"] == {0: "text", 1: "entity"}
    assert parse_columns("0:text, 1:pos,2:ner") == {0: "text", 1: "pos", 2: "ner"}
    (tmp_path / "tagged").mkdir()  # three columns: the word, its part of speech, its entity tag
    (tmp_path / "tagged" / "train.txt").write_text("Paris NNP B-LOC\nis VBZ O\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="give --tag-type"):
        read_corpus_folder(tmp_path / "tagged", columns={0: "text", 1: "pos", 2: "ner"})
    assert read_corpus_folder(tmp_path / "tagged", columns={0: "text", 1: "pos", 2: "ner"}, tag_type="pos").label_type
    with pytest.raises(CorpusError, match="--columns and --tag-type are for column files"):
        read_corpus_folder(tmp_path / "questions", tag_type="ner")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no training file"):
        read_corpus_folder(tmp_path / "empty")


def test_a_yaml_file_of_a_folder_needs_no_format_task_metric_or_optimization_value(tmp_path):
    folder = conll_folder(tmp_path / "tweets")
    config = {
        "corpus": {"folder": str(folder)},
        "base_path": str(tmp_path / "search"),
        "strategy": "random",
        "budget": {"runs": 2},
        "max_epochs": 3,  # as best-configuration.yaml names it
        "parameters": {
            "SequenceTagger.hidden_size": [16, 32],
            "SequenceTagger.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": "glove"}]],
        },
    }
    run = load_run_config(write(tmp_path / "search.yaml", config))
    space = run.search_space
    assert (space.task, space.tag_type, space.max_epochs) == ("sequence_labeling", "ner", 3)
    assert (space.evaluation_metric.value, space.optimization_value.value) == ("micro_f1_score", "dev_score")
    assert run.settings.corpus["columns"] == {0: "text", 1: "ner"}


def test_every_mistake_of_a_yaml_file_is_reported_at_once(tmp_path, capsys):
    """Its keys' mistakes at once, before Flair loads; once there are none, its parameters' mistakes at once."""
    config = {
        "task": "text_classification",
        "corpus": {"dataset": "TREC_6"},
        "base_path": str(tmp_path / "search"),
        "strategy": "random",
        "max_epoch": 2,
        "budget": {"runs": -1},
        "parameters": {"ModelTrainr.learning_rate": [0.1], "ModelTrainer.mini_batch_size": [8]},
    }
    assert main(["run", str(write(tmp_path / "bad.yaml", config))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 mistakes" in err, err
    for mistake in ("unknown key 'max_epoch'; did you mean 'max_epochs'?", "missing key 'max_epochs'"):
        assert mistake in err
    assert "did you mean 'ModelTrainer'?" in err
    config["max_epochs"] = config.pop("max_epoch")
    config["parameters"] = {"ModelTrainer.learning_rate": [-0.1], "ModelTrainer.mini_batch_size": [8]}
    assert main(["run", str(write(tmp_path / "bad.yaml", config))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 mistakes" in err, err
    assert "RUNS budget must be positive" in err and "ModelTrainer.learning_rate" in err
    assert not (tmp_path / "search").exists()


def test_a_column_corpus_without_columns_names_format_classification(tmp_path, capsys):
    from flair_hpo import orchestrator

    with pytest.raises(CorpusError, match=r"for FastText files .* give format: classification"):
        orchestrator.Orchestrator({"folder": str(tmp_path)}, tmp_path / "search", None, None)


def test_a_recipe_of_the_other_task_is_refused_naming_the_fitting_ones(tmp_path, capsys):
    folder = conll_folder(tmp_path / "tweets")
    assert main(["run", "--corpus", str(folder), "--recipe", "classifier-frozen"]) == 2
    err = capsys.readouterr().err
    assert "classifier-frozen is for text_classification" in err and "use ner-fine-tune or tagger-frozen" in err


RECIPES = {"fasttext": ("classifier-frozen", fasttext_folder), "conll": ("tagger-frozen", conll_folder)}


def model_of(parameters: dict, kind: str) -> str:
    """The transformer a configuration of the recipe names."""
    if kind == "conll":
        return parameters["SequenceTagger.embeddings"][0]["model"]
    return parameters["TransformerDocumentEmbeddings.model"]


@pytest.mark.integration
@pytest.mark.parametrize("kind", RECIPES)
def test_a_corpus_folder_is_searched_and_retrained_from_the_command_line(
    kind, tmp_path, minilm_path, monkeypatch, capsys, request
):
    """A user's folder (FastText lines, or CoNLL columns) searched with `run --corpus DIR --recipe` and its best
    configuration trained again with `train BASE_PATH`, after the project moved to another folder. The FastText
    search is README's quickstart (``quickstart_run``: one run for this test and the page's)."""
    from flair.models import SequenceTagger, TextClassifier

    recipe, make = RECIPES[kind]
    data = "questions" if kind == "fasttext" else kind
    project = tmp_path / "project"
    # The FastText search uses the venv's model (no parent shared with tmp_path but the root: kept absolute),
    # the CoNLL one a copy in the project (written relative, so it moves with the project).
    model = minilm_path if kind == "fasttext" else str(shutil.copytree(minilm_path, project / "models" / "minilm"))
    command = ["run", "--corpus", f"data/{data}", "--recipe", recipe, "--model", model]
    if kind == "fasttext":  # `flair-hpo run --corpus data/questions --recipe classifier-frozen --runs 2 --epochs 1`
        quickstart = request.getfixturevalue("quickstart_run")
        quickstart.assert_succeeded()
        copy_study(quickstart.folder, project)
    else:
        make(project / "data" / kind)
    monkeypatch.chdir(project)
    if kind != "fasttext":
        assert main([*command, "--runs", "2", "--epochs", "1"]) == 0
    capsys.readouterr()
    base = project / "hyperopt" / f"{data}-{recipe}"
    assert (base / "best-model.pt").exists()
    reference = yaml.safe_load((base / "corpus.yaml").read_text())
    assert reference["folder"] == f"../../data/{data}" and reference["format"] == (
        "classification" if kind == "fasttext" else "column"
    )
    if kind == "fasttext":  # the folder of another search: what differs in one line, by its option
        again = [*command, "--runs", "2", "--epochs", "3", "--strategy", "random", "--base-path", str(base)]
    else:
        again = [*command[:-1], minilm_path, "--runs", "2", "--epochs", "1", "--base-path", str(base)]
    assert main(again) == 2
    err = capsys.readouterr().err
    differ = (
        "--epochs: 1 in the study, 3 now; --strategy: BayesianSearch in the study, RandomSearch now."
        if (kind == "fasttext")
        else "other settings: --model."
    )
    assert err.count("\n") == 1 and differ in err, err
    assert err.endswith(f"To start afresh, give another --base-path, or delete {base}\n"), err
    saved = yaml.safe_load((base / "best-configuration.yaml").read_text())["configuration"]
    assert (saved["label_type"], saved["max_epochs"]) == ("class" if kind == "fasttext" else "ner", 1)
    stored_model = model_of(saved["parameters"], kind)
    assert stored_model == (minilm_path if kind == "fasttext" else "../../models/minilm"), saved["parameters"]

    shutil.move(project, tmp_path / "moved")  # another machine's folders: the corpus moves along
    monkeypatch.chdir(tmp_path)
    final = kind == "conll"
    assert main(["train", f"moved/hyperopt/{base.name}", *(["--final"] if final else [])]) == 0
    out = tmp_path / "moved" / "hyperopt" / base.name / ("final" if final else "retrained")
    model_file = out / ("final-model.pt" if final else "best-model.pt")
    assert str(model_file.relative_to(tmp_path)) in capsys.readouterr().out
    trained = (SequenceTagger if kind == "conll" else TextClassifier).load(model_file)
    assert trained.label_type == saved["label_type"]
    if kind == "conll":  # the model came from the moved project, as the configuration now names it
        loaded = Configuration.load(tmp_path / "moved" / "hyperopt" / base.name / "best-configuration.yaml")
        assert model_of(loaded.parameters, kind) == str(tmp_path / "moved" / "models" / "minilm")

    if kind == "fasttext":  # a YAML file that holds only a corpus names another one
        only_corpus = write(tmp_path / "corpus.yaml", {"corpus": {"folder": f"moved/data/{data}"}})
        assert main(["train", f"moved/hyperopt/{base.name}", "--corpus-from", str(only_corpus)]) == 2
        assert "is not an empty folder; give a new folder with --base-path" in capsys.readouterr().err
        out = tmp_path / "from-yaml"
        search = f"moved/hyperopt/{base.name}"
        assert main(["train", search, "--corpus-from", str(only_corpus), "--base-path", str(out)]) == 0
        assert TextClassifier.load(out / "best-model.pt").label_type == "class"

    shutil.rmtree(tmp_path / "moved" / "data")
    assert main(["train", f"moved/hyperopt/{base.name}", "--base-path", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err
    assert f"the corpus folder ../../data/{data}" in err and "does not exist on this machine" in err, err


def test_a_configuration_path_missing_on_this_machine_is_named(tmp_path, capsys):
    search = tmp_path / "search"
    search.mkdir()
    configuration = {
        "task": "text_classification",
        "label_type": "class",
        "max_epochs": 1,
        "parameters": {
            "document_embeddings": "TransformerDocumentEmbeddings",
            "TransformerDocumentEmbeddings.model": "/nowhere/venv/all-MiniLM-L6-v2",
        },
    }
    write(search / "best-configuration.yaml", {"configuration": configuration})
    assert main(["train", str(search)]) == 2
    err = capsys.readouterr().err
    assert "TransformerDocumentEmbeddings.model names /nowhere/venv/all-MiniLM-L6-v2, which does not exist" in err, err
    configuration["parameters"]["TransformerDocumentEmbeddings.model"] = "../models/minilm"  # as a search writes it
    write(search / "best-configuration.yaml", {"configuration": configuration})
    assert main(["train", str(search)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"model names ../models/minilm ({tmp_path / 'models' / 'minilm'}), which does not exist on this" in err, err


def test_paths_of_a_configuration_are_written_relative_to_its_folder_where_they_share_a_parent(tmp_path):
    """A model or vectors file in the project is written relative to the search's folder and read back as an
    absolute path of wherever the project is now, the path the trust checks see; elsewhere it stays absolute."""
    project = tmp_path / "project"
    (project / "models" / "bert").mkdir(parents=True)
    (project / "vectors.kv").write_text("")
    search = project / "hyperopt" / "ner"
    search.mkdir(parents=True)
    elsewhere = str(Path(yaml.__file__).parent)  # under the root only (tmp_path and the venv share no folder)
    parameters = {
        "TransformerWordEmbeddings.model": str(project / "models" / "bert"),
        "SequenceTagger.word_embeddings": [{"class": "WordEmbeddings", "embeddings": str(project / "vectors.kv")}],
        "ModelTrainer.optimizer": "torch.optim.SGD",
        "other.model": "bert-base-cased",  # a model name, not a path
        "other.folder": elsewhere,
    }
    configuration = Configuration("sequence_labeling", "ner", parameters, max_epochs=1)
    written = configuration.to_dict(search)["parameters"]
    assert written["TransformerWordEmbeddings.model"] == "../../models/bert"
    assert written["SequenceTagger.word_embeddings"][0]["embeddings"] == "../../vectors.kv"
    assert {key: written[key] for key in ("ModelTrainer.optimizer", "other.model", "other.folder")} == {
        key: parameters[key] for key in ("ModelTrainer.optimizer", "other.model", "other.folder")
    }
    write(search / "best-configuration.yaml", {"configuration": configuration.to_dict(search)})
    assert Configuration.load(search / "best-configuration.yaml").parameters == parameters

    shutil.move(project, tmp_path / "moved")
    moved = Configuration.load(tmp_path / "moved" / "hyperopt" / "ner" / "best-configuration.yaml").parameters
    assert moved["TransformerWordEmbeddings.model"] == str(tmp_path / "moved" / "models" / "bert")
    assert moved["SequenceTagger.word_embeddings"][0]["embeddings"] == str(tmp_path / "moved" / "vectors.kv")
    assert moved["other.folder"] == elsewhere
    check_paths(moved["TransformerWordEmbeddings.model"], "a model", Allowance((str(tmp_path / "moved"),)))
    with pytest.raises(UntrustedInputError, match=f"names '{tmp_path / 'moved' / 'models' / 'bert'}'"):
        check_paths(moved["TransformerWordEmbeddings.model"], "a model", Allowance((str(tmp_path / "project"),)))


def test_the_default_folder_of_a_recipe_run_is_its_corpus_and_recipe():
    from flair_hpo.cli.main import build_parser
    from flair_hpo.cli.recipe_run import default_base_path

    def folder(*options: str) -> str:
        return str(default_base_path(build_parser().parse_args(["run", *options])))

    assert folder("--dataset", "WNUT_17", "--recipe", "ner-fine-tune") == "hyperopt/wnut_17-ner-fine-tune"
    for more in (["--runs", "50"], ["--model", "/models/my bert/", "--epochs", "3", "--strategy", "random"]):
        assert folder("--dataset", "WNUT_17", "--recipe", "ner-fine-tune", *more) == "hyperopt/wnut_17-ner-fine-tune"
    assert folder("--corpus", "data/My Questions/", "--recipe", "classifier-frozen") == (
        "hyperopt/my_questions-classifier-frozen"
    )


def test_a_path_is_relative_only_within_a_project_folder():
    from flair_hpo.files import portable_path

    assert portable_path("/home/me/ner/models/bert", Path("/home/me/ner/hyperopt/run")) == "../../models/bert"
    assert portable_path("/tmp/venv/model", Path("/tmp/pytest-1/hyperopt/run")) == "/tmp/venv/model"  # only /tmp
    assert portable_path("/opt/model", Path("/home/me/ner/hyperopt")) == "/opt/model"
