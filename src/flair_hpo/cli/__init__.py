"""The ``flair-hpo`` command and its YAML front end."""

from flair_hpo.cli.main import main

__all__ = ["main"]
