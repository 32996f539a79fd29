"""Views of a :class:`~gradcheck.report.GradientReport`: the terminal table (rich) and the notebook
view (jinja2). The report holds data only; it imports this module when it is printed or shown.
"""

from __future__ import annotations

import functools
import io
import math
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import jinja2
    import markupsafe

    from gradcheck.report import GradientReport, GradientResult

__all__ = ["DEFAULT_WIDTH", "WIDE", "console_width", "notebook_view", "plain_text", "terminal_view"]


#: Narrower than this, the terminal table stacks what each gradient's entries were checked by
#: under how many were checked, and shortens its headings, so that it fits 80 columns.
WIDE = 100

#: The width of ``str(report)`` and of piped output when neither ``$COLUMNS`` nor a terminal says.
DEFAULT_WIDTH = 100


def console_width() -> int:
    """The width to render at: ``$COLUMNS``, else the width of the terminal that standard output,
    error or input is, else :data:`DEFAULT_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            continue
    return DEFAULT_WIDTH


def _columns(report: GradientReport) -> list[str]:
    columns = ["gradient", "shape", "rel. error", *(["vs autograd"] if report.reference else [])]
    return [*columns, "entries off", "checked", "opinions", "verdict"]


def _cells(report: GradientReport, result: GradientResult) -> list[str]:
    cells = [result.label, _shape(result), _format_error(result.relative_error)]
    if report.reference is not None:
        cells.append(_format_error(result.reference_error))
    # no entry compared (a wrong shape, a missing gradient): no count of entries off to show
    off = "-" if result.mode == "none" else f"{'?' if result.unlocated else result.n_failed}/{result.size}"
    return [*cells, off, result.coverage, result.opinions, _verdict(result)]


#: Columns whose cells are numbers (or a verdict): never wrapped or cut, whatever the width.
_WHOLE = {"gradient", "rel. error", "vs autograd", "autograd", "entries off", "off", "verdict"}
#: Shorter headings below :data:`WIDE` columns.
_SHORT = {"vs autograd": "autograd", "entries off": "off"}


def _table(report: GradientReport, width: int) -> Table:
    """One row per gradient. Below :data:`WIDE` columns, "checked" and "opinions" share a column,
    one above the other; numbers are never cut."""
    columns, rows = _columns(report), [_cells(report, result) for result in report]
    if width < WIDE:
        where = columns.index("checked")
        columns[where : where + 2] = ["checked"]
        rows = [[*row[:where], f"{row[where]}\n{row[where + 1]}", *row[where + 2 :]] for row in rows]
        columns = [_SHORT.get(column, column) for column in columns]
    narrow = (0, 1, 0, 0) if width < WIDE else (0, 1)  # two spaces between columns, not three
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=narrow)
    for k, column in enumerate(columns):
        whole = column in _WHOLE
        lines = [line for row in rows for line in row[k].split("\n")]
        longest = max([len(column), *map(len, lines)]) if whole or column == "checked" else None
        right = column in ("rel. error", "vs autograd", "autograd", "entries off", "off")
        table.add_column(
            column,
            justify="right" if right else "left",
            no_wrap=whole,
            min_width=longest,
            overflow="fold",
        )
    for result, row in zip(report, rows, strict=True):
        *rest, verdict = row
        table.add_row(*rest, Text(verdict, style="green" if result.passed else "bold red"))
    return table


class _TerminalView:
    """The report for a rich console, laid out for the width it is given."""

    def __init__(self, report: GradientReport) -> None:
        self.report = report

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        colour = "green" if report.passed else "bold red"
        yield Text(report.headline(), style=colour)
        if report.diagnosis is not None:
            yield Text(f"Likely mistake ({report.diagnosis.code}): {report.diagnosis.message}")
        yield _table(report, options.max_width)
        for result in report.failed:  # "as above" where the headline's diagnosis already says it
            yield Text(result.summary(diagnosis=result.diagnosis != report.diagnosis))
        yield Text(report.footer())
        for note in _notes(report):
            yield Text(f"note: {note}")


def terminal_view(report: GradientReport) -> _TerminalView:
    """The rich renderable: headline, likely mistake, one row per gradient, the failed ones, notes;
    laid out for the console's width (see :func:`_table`), verdicts coloured where it has colour."""
    return _TerminalView(report)


def _notes(report: GradientReport) -> list[str]:
    """The report's notes, then each gradient's (a harmless shape)."""
    return [*report.notes, *(result.note for result in report if result.note)]


def plain_text(report: GradientReport, width: int | None = None) -> str:
    """``str(report)``: the terminal view without colour, ``width`` columns wide (default:
    :func:`console_width`)."""
    buffer = io.StringIO()
    # force_jupyter=False: in a Jupyter kernel rich would otherwise display the text and return ""
    console = Console(
        file=buffer,
        width=width or console_width(),
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
    )
    console.print(terminal_view(report))
    return buffer.getvalue().rstrip() + "\n"


def notebook_view(report: GradientReport) -> str:
    """The notebook's HTML: a tinted table, the likely mistake, each failed gradient's facts and error map.

    Readable in light and dark themes: rows are translucent tints over the page with the theme's
    own text colour, and every solid background (badges, map cells) sets a text colour that
    contrasts with it.
    """
    rows = [{"passed": result.passed, "cells": _cells(report, result)} for result in report]
    return (
        _templates()
        .get_template("notebook.html.j2")
        .render(
            report=report,
            columns=_columns(report),
            rows=rows,
            failed=[_failed_item(report, result) for result in report.failed],
            footer=report.footer(),
            notes=_notes(report),
        )
    )


def _failed_item(report: GradientReport, result: GradientResult) -> dict[str, Any]:
    """One failed gradient for the notebook: its facts once each, the mistake only when it differs
    from the headline's, the worst entry's numbers, and the element error map."""
    if result.shape is None:
        shape = f"no usable gradient (expected shape {result.expected_shape})"
    elif result.shape == result.expected_shape:
        shape = f"shape {result.shape}, as expected"
    else:
        shape = f"shape {result.shape}, expected {result.expected_shape}"
    facts = [shape]
    if result.shape is not None and result.mode != "none":
        facts.append(f"{result.entries_off} (checked: {result.coverage})")
    if result.n_kinks:
        facts.append(f"{result.n_kinks} entries at a kink, between the one-sided derivatives")
    worst = None
    if result.worst_index is not None and result.worst_numeric is not None and result.n_failed:
        worst = (
            f"{_entry(result.name, result.worst_index)}: analytic {result.worst_analytic:.6g}, "
            f"numeric {result.worst_numeric:.6g}, relative error {result.worst_relative_error:.2g} "
            f"(tolerance {result.worst_tolerance:.2g})"
        )
        if result.excess is not None and result.excess.shape == result.expected_shape:
            worst += f", {_times(float(result.excess[result.worst_index]))} the tolerance"
    own = result.diagnosis is not None and result.diagnosis != report.diagnosis
    return {
        "label": result.label,
        "facts": "; ".join(facts),
        "diagnosis": result.diagnosis.message if own and result.diagnosis else None,
        "worst": worst,
        "map": _error_map(result),
    }


def _format_error(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    return f"{value:.2e}"


def _shape(result: GradientResult) -> str:
    shape = "missing" if result.shape is None else _dims(result.shape)
    if result.shape is not None and result.shape != result.expected_shape:
        shape += f" (want {_dims(result.expected_shape)})"
    return shape


def _dims(shape: tuple[int, ...]) -> str:
    """``3x4``, or ``scalar`` for shape ()."""
    return "x".join(map(str, shape)) or "scalar"


def _verdict(result: GradientResult) -> str:
    verdict = "ok" if result.passed else "WRONG"
    if result.passed and result.n_kinks:
        verdict += f" ({result.n_kinks} kink{'s' * (result.n_kinks > 1)})"
    return verdict


#: Text colours for solid backgrounds: whichever contrasts more (at least 4.58:1 on any colour).
_DARK_TEXT, _LIGHT_TEXT = "#000000", "#ffffff"
#: Blocks up to this many rows and columns get large cells with each entry's ratio written in them.
_NUMBERS_UP_TO = 10


def _error_map(result: GradientResult) -> dict[str, Any] | None:
    """The element error map: a cell per entry coloured by ``log10(|a − n| / τ)``, axis labels, and
    (small blocks) each ratio in its cell, else the largest ratios in the caption."""
    if result.excess is None or result.excess.ndim > 2:
        return None
    ndim = result.excess.ndim
    excess = np.atleast_2d(result.excess)
    n_rows, n_columns = excess.shape
    numbers = n_rows <= _NUMBERS_UP_TO and n_columns <= _NUMBERS_UP_TO
    rows = []
    for i, row in enumerate(excess):
        cells = []
        for j, value in enumerate(row):
            index = (i, j)[2 - ndim :]
            colour = _map_colour(float(value))
            cells.append(
                {
                    "colour": colour,
                    "text_colour": _text_on(colour),
                    "text": _short(float(value)),
                    "title": f"{_entry(result.name, index)}: {_ratio_words(float(value))}",
                }
            )
        rows.append({"label": _tick(i, n_rows) if ndim == 2 else "", "cells": cells})
    beyond = np.nan_to_num(excess, nan=-1.0).ravel()
    order = [k for k in np.argsort(-beyond, kind="stable")[:3] if beyond[k] > 1.0]
    largest = [
        f"{_entry(result.name, tuple(map(int, np.unravel_index(k, excess.shape)))[2 - ndim :])} "
        f"{_times(float(beyond[k]))}"
        for k in order
    ]
    axes = {2: f"row i, column j of {result.name}[i, j]", 1: f"entry j of {result.name}[j]", 0: "one entry"}
    return {
        "shape": _dims(result.excess.shape),
        "axes": axes[ndim],
        "columns": [_tick(j, n_columns) for j in range(n_columns)] if ndim else [],
        "rows": rows,
        "numbers": numbers,
        "cell": (52, 24) if numbers else ((14, 14) if max(n_rows, n_columns) <= 40 else (9, 9)),
        "largest": [] if numbers else largest,
    }


def _map_colour(value: float) -> str:
    """Green within tolerance, red beyond (darker is further, 10⁸ × the tolerance at the darkest),
    grey where not compared."""
    if math.isnan(value):
        return "#d0d7de"
    if value <= 1.0:
        return "#4ac26b"
    depth = min(1.0, math.log10(value) / 8.0) if math.isfinite(value) else 1.0
    return f"#{255 - int(90 * depth):02x}{int(130 * (1 - depth)):02x}{int(120 * (1 - depth)):02x}"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _text_on(colour: str) -> str:
    """Black or white, whichever contrasts more with the background ``colour``."""
    luminance = _luminance(colour)
    return _DARK_TEXT if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else _LIGHT_TEXT


def _entry(name: str, index: tuple[int, ...]) -> str:
    """``W2[0, 1]``; the name alone for a scalar."""
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def _tick(k: int, n: int) -> str:
    """An axis label: every index of a short axis, every 5th (10th) of a longer one."""
    step = 1 if n <= 16 else (5 if n <= 100 else 10)
    return str(k) if k % step == 0 else ""


def _short(value: float) -> str:
    """A ratio in few characters for a cell: ``0.42``, ``8.3e5``, ``∞``; ``n/a`` when not compared."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞"
    text = f"{value:.2g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _times(value: float) -> str:
    """``8.3e+05 ×``: how many times the tolerance."""
    return "∞ ×" if math.isinf(value) else f"{value:.2g} ×"


def _ratio_words(value: float) -> str:
    """A cell's tooltip: ``0.42 of the tolerance``, ``8.3e+05 × the tolerance``, ``not compared``."""
    if math.isnan(value):
        return "not compared"
    if value <= 1.0:
        return f"{value:.2g} of the tolerance"
    return f"{_times(value)} the tolerance"


def _code_spans(text: str) -> markupsafe.Markup:
    """``text`` escaped for HTML, each ```code``` span (Markdown backticks) as ``<code>``."""
    import markupsafe

    parts = text.split("`")
    if len(parts) % 2 == 0:  # the last backtick has no pair: it stays a backtick
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return markupsafe.Markup("").join(
        markupsafe.Markup("<code>{}</code>").format(part) if k % 2 else markupsafe.escape(part)
        for k, part in enumerate(parts)
    )


@functools.cache
def _templates() -> jinja2.Environment:
    import jinja2  # the notebook view only: printing a report needs no templates

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("gradcheck", "templates"), autoescape=True, keep_trailing_newline=True
    )
    environment.filters["code_spans"] = _code_spans
    return environment
