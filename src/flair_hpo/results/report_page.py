"""The report's HTML: the page, its tables, and its plots with one gzipped copy of plotly.js's cartesian bundle
inside, unpacked by the browser, so that the page opens offline and stays small.

The bundle is npm's ``plotly.js-cartesian-dist-min`` of the plotly.js version the installed plotly package
writes figures for (MIT licence, ``vendor/LICENSE-plotly.js.txt``); to update it::

    npm pack plotly.js-cartesian-dist-min@VERSION && tar xzf plotly.js-cartesian-dist-min-VERSION.tgz
    gzip -n -9 -c package/plotly-cartesian.min.js > src/flair_hpo/results/vendor/plotly-cartesian.min.js.gz
"""

from __future__ import annotations

import base64
import gzip
import html
import re
from pathlib import Path
from typing import Any

from flair_hpo.records import TrialRecord
from flair_hpo.results.rounding import UNKNOWN_NOISE_DECIMALS, is_score, shown

PLOTLY_BUNDLE = Path(__file__).parent / "vendor" / "plotly-cartesian.min.js.gz"
#: Where a long name may break: after punctuation, and between the words of a class name.
BREAK_POINTS = re.compile(r"(?<=[,(/=_])|(?<=\.)(?!\d)|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
TOO_LITTLE = "needs at least two complete trials that differ"
#: Leaderboard columns that are not parameters; the rest are parameters, shown when their value varies.
_RESULT_COLUMNS = ("rank", "trial", "status", "seed", "mean", "sd", "seeds", "dev loss", "epochs", "seconds")

_STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; padding: 0 1.5em; max-width: 1200px; }
h2 { margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 1em 1em 0; }
td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
#leaderboard-box { overflow-x: auto; }
#best { display: flex; flex-wrap: wrap; align-items: flex-start; }
#leaderboard { width: 100%; margin-right: 0; }
#leaderboard td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { border-radius: 3px; padding: 0 4px; color: #fff; white-space: nowrap; }
.status.complete { background: #2e7d32; } .status.pruned { background: #8d6e63; }
.status.failed { background: #c62828; } .status.running { background: #1565c0; }
.status.interrupted { background: #6a1b9a; }
tr.pruned td { color: #555; } tr.failed td { color: #b00; }
div.error { max-width: 26em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; cursor: help; }
.plot { width: 100%; }
"""

# Unpacks plotly.js, then draws every figure; errors are kept on <html data-errors> for people and tests.
_LOADER = """
function noteError(message) {
  var root = document.documentElement;
  root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") + " " + message);
}
window.addEventListener("error", function (e) { noteError(e.message); });
async function drawPlots() {
  if (typeof DecompressionStream === "undefined") {
    document.body.insertAdjacentHTML("afterbegin",
      "<p><b>This browser cannot unpack the plots: open the report in a browser from 2023 or later.</b></p>");
    return;
  }
  var packed = Uint8Array.from(atob(document.getElementById("plotly-gz").textContent), function (c) {
    return c.charCodeAt(0); });
  var stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  var library = document.createElement("script");
  library.textContent = await new Response(stream).text();
  document.head.appendChild(library);
  var figures = document.querySelectorAll("script.figure");
  for (var i = 0; i < figures.length; i++) {
    var figure = JSON.parse(figures[i].textContent);
    await Plotly.newPlot(figures[i].dataset.target, figure.data, figure.layout,
      {responsive: true, displaylogo: false});
  }
  document.documentElement.setAttribute("data-drawn", String(figures.length));
}
document.addEventListener("DOMContentLoaded", function () {
  drawPlots().catch(function (e) { noteError(String(e)); });
});
"""


def plotly_bundle_version() -> str:
    """The plotly.js version of the bundle the page carries (from its licence header)."""
    with gzip.open(PLOTLY_BUNDLE, "rt", encoding="utf-8") as file:
        header = file.read(200)
    found = re.search(r"\bv(\d+\.\d+\.\d+)", header)
    return found.group(1) if found else "unknown"


def figure_html(plot_id: str, title: str, figure: Any, missing: str = TOO_LITTLE) -> str:
    """A section with one plot: its ``<div>``, and its figure as JSON for the loader (or why it is missing)."""
    if figure is None:
        return f'<h2>{title}</h2><p class="none" id="{plot_id}">Not drawn: {missing}.</p>'
    note = f"<p>{html.escape(figure.layout.meta)}</p>" if isinstance(figure.layout.meta, str) else ""
    data = figure.to_json().replace("</", "<\\/")  # a "</script>" in a label must not end the script
    return (
        f'<h2>{title}</h2>{note}<div class="plot" id="{plot_id}"></div>'
        f'<script type="application/json" class="figure" data-target="{plot_id}">{data}</script>'
    )


def key_value_table(pairs: dict[str, Any]) -> str:
    cells = ((html.escape(str(k)), html.escape(_readable(v))) for k, v in pairs.items())
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in cells) + "</table>"


def leaderboard_html(
    rows: list[dict[str, Any]], records: dict[int, TrialRecord], decimals: int = UNKNOWN_NOISE_DECIMALS
) -> str:
    """The leaderboard without sideways scrolling; numbers rounded (``decimals``: of the dev scores)."""
    if not rows:
        return "<h2>Leaderboard</h2><p>No trials yet.</p>"
    results = [c for c in rows[0] if (c in _RESULT_COLUMNS or is_score(c)) and any(str(row[c]) for row in rows)]
    parameters = [c for c in rows[0] if c not in results and c != "error" and c not in _RESULT_COLUMNS]
    varying = [c for c in parameters if len({str(row[c]) for row in rows if str(row[c])}) > 1]
    has_errors = any(row["error"] for row in rows)
    head = "".join(f"<th>{breakable(c)}</th>" for c in results + varying) + ("<th>error</th>" if has_errors else "")
    body = []
    for row in rows:
        status = html.escape(str(row["status"]))
        cells = [_result_cell(column, row[column], status, decimals) for column in results]
        cells += [f"<td>{breakable(shown(row[column], column, decimals))}</td>" for column in varying]
        if has_errors:
            full = records[row["trial"]].error.strip() if row["trial"] in records else row["error"]
            cells.append(f'<td><div class="error" title="{html.escape(full)}">{html.escape(row["error"])}</div></td>')
        body.append(f'<tr class="{status}" data-trial="{row["trial"]}">{"".join(cells)}</tr>')
    return (
        f'<h2>Leaderboard</h2><div id="leaderboard-box"><table id="leaderboard"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def page(title: str, introduction: str, sections: list[str]) -> str:
    """The whole page: the sections, then plotly.js (packed) and the loader that draws the plots."""
    bundle = base64.b64encode(PLOTLY_BUNDLE.read_bytes()).decode("ascii")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{_STYLE}</style><script>{_LOADER}</script></head>
<body><h1>{title}</h1>
<p>{introduction}</p>
{"".join(sections)}
<script id="plotly-gz" type="application/octet-stream">{bundle}</script>
</body></html>
"""


def breakable(text: str) -> str:
    """``text`` for HTML, with places to break a line after punctuation and between the words of a class name
    (``Document<wbr>Pool<wbr>Embeddings.<wbr>pooling``), so long names wrap instead of widening the page."""
    return "<wbr>".join(html.escape(part) for part in BREAK_POINTS.split(text) if part)


def _result_cell(column: str, value: Any, status: str, decimals: int) -> str:
    if column == "status":
        return f'<td><span class="status {status}">{status}</span></td>'
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f'<td class="number">{html.escape(shown(value, column, decimals))}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _readable(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)  # a learning rate of 3e-05 is not 0.0000
