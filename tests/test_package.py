"""Package conventions: `flair-hpo --version`, `python -m flair_hpo`, the licence, what the package says of
itself, and the lazily imported top-level names as type checkers see them."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import flair_hpo

from .conftest import REPO


def test_version_and_python_dash_m():
    done = subprocess.run(
        [sys.executable, "-m", "flair_hpo", "--version"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0 and done.stdout.strip() == f"flair-hpo {flair_hpo.__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "flair_hpo", "show", str(REPO / "no-such-search")], capture_output=True, text=True
    )
    assert (
        done.returncode == 2
        and done.stderr.startswith("flair-hpo: error:")
        and "no-such-search does not exist: give a search's folder" in done.stderr
    )


def test_licence_description_and_classifiers():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    licence = (REPO / "LICENSE").read_text()
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert licence.startswith("MIT License") and "Copyright (c) 2026 the flair-hpo authors" in licence
    assert "Bayesian" in project["description"]
    assert "Typing :: Typed" in project["classifiers"] and (REPO / "src" / "flair_hpo" / "py.typed").exists()


def test_every_lazily_imported_name_is_imported_for_type_checkers():
    tree = ast.parse((REPO / "src" / "flair_hpo" / "__init__.py").read_text())
    guarded = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.asname or alias.name for node in guarded.body for alias in node.names}
    assert seen == set(flair_hpo.__all__) and all(getattr(flair_hpo, name) for name in seen)
