"""The leaderboard as ``flair-hpo show`` prints it for people: the terminal's width, the parameters that vary,
numbers rounded."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from flair_hpo.results.rounding import UNKNOWN_NOISE_DECIMALS, shown

#: Columns a person reads the leaderboard without (``--all`` shows them).
_LEFT_OUT = ("best epoch", "seeds")
#: Shown after the parameters that vary, and the first left out where the terminal is narrow.
_LAST = ("epochs", "dev loss", "seconds")
_ERROR = "error"
#: The least of an error shown: enough to tell one failure from another.
_ERROR_ROOM = 24
_ELLIPSIS = "…"


def table_width() -> int:
    """How wide a table for people may be: the terminal's width, else ``$COLUMNS``, else no limit."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    given = os.environ.get("COLUMNS", "")
    return int(given) if given.isdigit() and int(given) > 0 else sys.maxsize


def _headers(parameters: list[str]) -> dict[str, str]:
    """A parameter by its member's name (``learning_rate``) where no other parameter has that name."""
    short = {name: name.rpartition(".")[2] for name in parameters}
    counts = {s: list(short.values()).count(s) for s in short.values()}
    return {name: short[name] if counts[short[name]] == 1 else name for name in parameters}


def people_table(
    rows: list[dict[str, Any]], parameters: list[str], width: int, decimals: int = UNKNOWN_NOISE_DECIMALS
) -> str:
    """``rows`` (the leaderboard's) in at most ``width`` characters a line; dev scores with ``decimals``."""
    if not rows:
        return "(no trials yet)"
    varying = [p for p in parameters if len({str(row[p]) for row in rows}) > 1]
    first = [c for c in rows[0] if c not in (*parameters, *_LEFT_OUT, *_LAST, _ERROR)]
    columns = [c for c in [*first, *varying, *_LAST] if c in rows[0] and any(str(row[c]) for row in rows)]
    headers = {**{c: c for c in columns}, **_headers(varying)}
    cells = [{c: shown(row[c], c, decimals) for c in columns} for row in rows]
    widths = {c: max(len(headers[c]), *(len(cell[c]) for cell in cells)) for c in columns}
    errors = [str(row.get(_ERROR, "")) for row in rows]
    room = width - (_ERROR_ROOM if any(errors) else 0)
    hidden = 0
    while len(columns) > 3 and sum(widths[c] + 2 for c in columns) > room:
        columns.pop()
        hidden += 1
    lines = [[headers[c].ljust(widths[c]) for c in columns], ["-" * widths[c] for c in columns]]
    lines += [[cell[c].ljust(widths[c]) for c in columns] for cell in cells]
    if any(errors):
        room = max(width - sum(widths[c] + 2 for c in columns), _ERROR_ROOM)
        for line, error in zip(lines, [_ERROR, "-" * min(room, max(map(len, errors))), *errors], strict=True):
            line.append(error if len(error) <= room else error[: room - 1] + _ELLIPSIS)
    text = "\n".join("  ".join(line).rstrip() for line in lines)
    if hidden:
        text += f"\n({hidden} more column{'s' if hidden > 1 else ''}: a wider terminal or --all shows them)"
    return text
