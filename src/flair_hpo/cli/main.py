"""The ``flair-hpo`` command (``run``, ``worker``, ``show``, ``train``, ``studies``, ``evaluate``, ``predict``,
``report``; docs/command-line.md).

Mistakes in the input are one line without a traceback, exit code 2. What a stored study may ask of this
machine is given here, by who starts the command (``--allow-path DIR``, ``--trust-remote-code``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from flair_hpo.cli import arguments
from flair_hpo.cli.model_commands import add_model_commands
from flair_hpo.cli.nearby import require_search
from flair_hpo.cli.recipe_run import add_recipe_arguments
from flair_hpo.cli.retrain import add_train_command
from flair_hpo.cli.run_start import announce_corpus, announce_folder, check_hub_models
from flair_hpo.cli.setting_flags import TRACKERS, add_setting_flags, given_settings
from flair_hpo.cli.studies import add_studies_command
from flair_hpo.errors import ConfigError, InputError, MachineError, StudyMismatchError, Terminated, one_line

EXIT_USAGE = 2
#: A fault of the machine (a full disk, workers that keep dying) or a search in which no trial finished.
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
#: 128 + SIGTERM, as a shell reports a process that SIGTERM ended.
EXIT_TERMINATED = 143


def _allow_remote_code(args: argparse.Namespace) -> None:
    """``--trust-remote-code``: this process, and the worker processes it starts, may run a model's own code."""
    if args.trust_remote_code:
        from flair_hpo.space.trust import allow

        allow(trust_remote_code=True)


def _run(args: argparse.Namespace) -> int:
    _allow_remote_code(args)
    config = _run_config(args)  # every mistake of the input before Flair and torch load (a second, not ten)
    from flair_hpo.orchestration import Orchestrator
    from flair_hpo.training.flair_console import flair_console_quieted

    settings = config.settings.replace(**given_settings(args))
    announce_folder(settings)
    try:
        # The corpus reference (settings.corpus) is stored with the study for workers that join it.
        with flair_console_quieted(logging.ERROR):  # Flair's lines on loading the corpus (a sampled split: below)
            orchestrator = Orchestrator(
                None, search_space=config.search_space, search_strategy=config.search_strategy, settings=settings
            )
        announce_corpus(settings, orchestrator.corpus)
        # The search shows its summary as it ends (once); here only what the command adds.
        workers = config.workers if args.workers is None else args.workers
        result = orchestrator.optimize(workers=workers, quiet=args.quiet)
    except StudyMismatchError as error:
        from flair_hpo.cli.study_mismatch import mismatch_message

        raise StudyMismatchError(mismatch_message(error, args, settings), error.differences) from None
    if config.report:
        try:
            print(f"Report: {result.report()}")
        except InputError as error:  # the search is done; only the report's plotting packages are missing
            print(f"flair-hpo: the report was not written: {error}", file=sys.stderr)
    if result.best_trial is None:  # nothing to hand back: a script or scheduler must see that
        print(f"flair-hpo: error: no trial finished; see {result.leaderboard_path} for errors", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _run_config(args: argparse.Namespace) -> Any:
    """The run a YAML file describes, or the one the recipe options do."""
    from flair_hpo.cli.recipe_run import RECIPE_OPTIONS, recipe_run_data
    from flair_hpo.cli.run_config import load_run_config, parse_run_config

    given = [name for name in RECIPE_OPTIONS if getattr(args, name)]
    if args.config is not None:
        if given:
            option = given[0].replace("_", "-")
            raise ConfigError(f"give a YAML file or --dataset/--corpus and --recipe, not both (--{option})")
        return load_run_config(args.config, machine_checks=check_hub_models)
    return parse_run_config(recipe_run_data(args), "the command line", machine_checks=check_hub_models)


def _worker(args: argparse.Namespace) -> int:
    from flair_hpo.orchestration.joining import join_study

    orchestrator = join_study(
        args.storage,
        args.study,
        base_path=args.base_path,
        wait_s=args.wait,
        allow_paths=args.allow_path,
        trust_remote_code=args.trust_remote_code,
        **given_settings(args, TRACKERS),
    )
    trained = orchestrator.work(quiet=args.quiet)
    name = orchestrator.settings.study_name
    print(f"Worker done: trained {trained} trial(s) of study '{name}'; nothing is left to train.")
    return 0


def _show(args: argparse.Namespace) -> int:
    from flair_hpo.results.best import BEST_CONFIGURATION
    from flair_hpo.results.people_table import table_width
    from flair_hpo.results.study_view import leaderboard_table, open_for_reading

    base_path = Path(args.base_path)
    if args.storage is None:
        require_search(base_path, "show")
    view = open_for_reading(base_path, args.storage, args.study)
    print(leaderboard_table(view, None if args.all else table_width()))
    best = base_path / BEST_CONFIGURATION
    if best.exists():
        print(f"\n{best}:\n")
        print(best.read_text(encoding="utf-8"))
    return 0


def _report(args: argparse.Namespace) -> int:
    from flair_hpo.results.report import write_report

    if args.storage is None:
        require_search(Path(args.base_path), "report")
    print(f"Report: {write_report(Path(args.base_path), args.storage, args.study)}")
    return 0


def _study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base_path", help="the search's base_path")
    parser.add_argument("--storage", help="the Optuna storage URL, if the study is not in BASE_PATH/study.journal")
    _study_name_argument(parser)


def build_parser() -> argparse.ArgumentParser:
    from flair_hpo.version import VERSION

    parser = _Parser(prog="flair-hpo", description="Hyper-parameter optimization for Flair models.")
    parser.add_argument("--version", action="version", version=f"flair-hpo {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser(
        "run", help="run or resume the search a YAML file describes, or a recipe on a dataset (--dataset, --recipe)"
    )
    run.add_argument("config", nargs="?", help="the search's YAML file")
    add_recipe_arguments(run)
    run.add_argument(
        "--workers",
        type=arguments.worker_count,
        help="trials to train at once on this machine; auto: as many one-thread workers as is measured to be "
        "faster; 0 only waits for `flair-hpo worker`s elsewhere (overrides workers of the YAML file)",
    )
    add_setting_flags(run, over_yaml=True)
    _quiet_argument(run)
    _remote_code_argument(run)
    run.set_defaults(handler=_run)

    worker = commands.add_parser("worker", help="join an existing study (from any machine) and train its trials")
    worker.add_argument("--storage", help="the study's storage URL, e.g. postgresql://user@host/db")
    _study_name_argument(worker)
    worker.add_argument(
        "--base-path",
        help="a folder here for trial logs and embeddings (default: the study's); without --storage, the shared "
        "base_path whose study.journal holds the study",
    )
    worker.add_argument(
        "--wait", type=arguments.count, default=0, metavar="SECONDS", help="wait this long for the study to be created"
    )
    worker.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder whose files (word vectors, models) the study may make this worker load; repeatable "
        "(Flair's, Hugging Face's and the embedding cache are allowed, and $FLAIR_HPO_ALLOW_PATHS)",
    )
    add_setting_flags(worker, TRACKERS)
    _quiet_argument(worker)
    _remote_code_argument(worker)
    worker.set_defaults(handler=_worker)

    show = commands.add_parser("show", help="print the leaderboard and the best configuration of a search")
    _study_arguments(show)
    show.add_argument("--all", action="store_true", help="every column of leaderboard.csv, values as they are")
    show.set_defaults(handler=_show)

    report = commands.add_parser("report", help="write report.html (plots, leaderboard) into a search's base_path")
    _study_arguments(report)
    report.set_defaults(handler=_report)

    add_train_command(commands, _remote_code_argument)
    add_studies_command(commands)
    add_model_commands(commands)
    return parser


def _study_name_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--study",
        "--study-name",
        dest="study",
        help="the study's name (default: the one named after BASE_PATH's folder, or the only one there)",
    )


def _quiet_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", action="store_true", help="a line per trial; no live status on a terminal, no line per epoch"
    )


def _remote_code_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let embeddings run their model's own Python code (Hugging Face's trust_remote_code); refused without",
    )


class _Parser(argparse.ArgumentParser):
    """Mistakes on the command line in one line, like every other mistake: exit code 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        print(f"flair-hpo: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a mistake already reported in one line
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt as stop:
        how = "stopped (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        print(f"\nflair-hpo: {how}; its trial is queued again: run the same command to resume", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into a program that stopped reading, e.g. head
        sys.stderr.close()
        return 0
    except InputError as error:
        print(f"flair-hpo: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except MachineError as error:
        print(f"flair-hpo: error: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
