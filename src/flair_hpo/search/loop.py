"""The search loop, the only one: the driver says what happens next, the loop has it done.

What trains a trial is given (Flair in a real search, a table's row in the benchmark's replay); a search's
further duties are added by overriding the hooks, never by another loop.

Example::

    loop = Loop(Driver(space, strategy), study, train=lambda opened: study.tell(opened.trial, score(opened.record)))
    trained = loop.run()
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import optuna

from flair_hpo.records import History
from flair_hpo.search.driver import Action, Driver, Opened, Step

log = logging.getLogger("flair_hpo")

#: Seconds a loop without a wait of its own waits for other workers' trials between two looks at the study.
WAIT_SECONDS = 0.05


class Loop:
    """Trains what ``driver`` says in ``study`` with ``train`` (or the :meth:`train` of a subclass)."""

    def __init__(self, driver: Driver, study: optuna.Study, train: Callable[[Opened], Any] | None = None) -> None:
        self.driver, self.study = driver, study
        self._train = train

    def run(self, trains: bool = True) -> int:
        """Train trials until the driver says stop (``trains=False``: only wait); the trials trained."""
        trained, said = 0, ""
        while True:
            step = self.driver.next(self.read())
            if step.trains and not trains:
                step = Step(Action.WAIT, why="waiting for workers to train the study's trials")
            if step.trains:
                opened = self.driver.open(self.study, step)
                trained += opened is not None and self.train(opened) is not False
                continue
            if step.why != said:
                log.info("%s", step.why)
                said = step.why
            if step.action is Action.STOP:
                return trained
            self.wait()

    # --------------------------------------------------------------------------------- hooks
    def read(self) -> History:
        """The study's history at the start of a turn."""
        return History.of(self.study)

    def train(self, opened: Opened) -> Any:
        """Train ``opened``'s trial and tell the study its outcome; False when it does not count as trained."""
        if self._train is None:
            raise NotImplementedError("give Loop a train function, or override Loop.train")
        return self._train(opened)

    def wait(self) -> None:
        """Nothing to train now: let other workers' trials go on a moment."""
        time.sleep(WAIT_SECONDS)
