"""``flair-hpo studies [FOLDER | --storage URL]``: the searches there, one line each, as ``optuna studies`` lists
a storage's studies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flair_hpo.errors import InputError


def add_studies_command(commands: Any) -> None:
    studies = commands.add_parser(
        "studies", help="list the searches in a folder (and below it) or in a storage: name, state, best dev, ..."
    )
    studies.add_argument("folder", nargs="?", metavar="FOLDER", help="where to look (default: here), to 4 levels deep")
    studies.add_argument("--storage", help="an Optuna storage URL: list the searches it holds instead")
    studies.set_defaults(handler=list_studies)


def list_studies(args: argparse.Namespace) -> int:
    from flair_hpo.results.searches import search_rows
    from flair_hpo.results.study_view import format_table

    if args.folder and args.storage:
        raise InputError("give a FOLDER or --storage URL, not both")
    folder = Path(args.folder or ".")
    if args.storage is None and not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give a folder that holds searches, or --storage URL")
    rows = search_rows(None if args.storage else folder, args.storage)
    if not rows:
        where = "the storage" if args.storage else f"{folder} or below it"
        print(f"no flair-hpo search in {where}")
        return 0
    print(format_table(rows))
    return 0
