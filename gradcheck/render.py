"""Views of a :class:`~gradcheck.report.GradientReport`: the terminal table (rich) and the notebook
view (jinja2). The report holds data only; it imports this module when it is printed or shown.
"""

from __future__ import annotations

import functools
import io
import math
import os
import sys
from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import jinja2

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
    return [*cells, f"{result.n_failed}/{result.size}", result.coverage, result.opinions, _verdict(result)]


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
    """The notebook's HTML: a coloured table, the likely mistake, each failed gradient's error map."""
    rows = [{"passed": result.passed, "cells": _cells(report, result)} for result in report]
    failed = [
        {
            "label": result.label,
            "summary": result.summary(diagnosis=result.diagnosis != report.diagnosis),
            "map": _error_map(result),
        }
        for result in report.failed
    ]
    return (
        _templates()
        .get_template("notebook.html.j2")
        .render(
            report=report,
            columns=_columns(report),
            rows=rows,
            failed=failed,
            footer=report.footer(),
            notes=_notes(report),
        )
    )


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


def _error_map(result: GradientResult) -> list[list[dict[str, str]]] | None:
    """Cells of the element error map: colour by ``log10(|a − n| / τ)``, a tooltip with the index."""
    if result.excess is None:
        return None
    excess = np.atleast_2d(result.excess)
    if excess.ndim != 2:
        return None
    cells = []
    for i, row in enumerate(excess):
        out = []
        for j, value in enumerate(row):
            if not np.isfinite(value) and not np.isinf(value):
                colour, title = "#d0d7de", "not compared"
            elif value <= 1.0:
                colour, title = "#4ac26b", f"{value:.2g} of the tolerance"
            else:
                depth = min(1.0, math.log10(value) / 8.0) if math.isfinite(value) else 1.0
                colour = f"rgb({255 - int(90 * depth)}, {int(130 * (1 - depth))}, {int(120 * (1 - depth))})"
                title = f"{value:.3g} x the tolerance"
            out.append({"colour": colour, "title": f"{result.name}[{i}, {j}]: {title}"})
        cells.append(out)
    return cells


@functools.cache
def _templates() -> jinja2.Environment:
    import jinja2  # the notebook view only: printing a report needs no templates

    return jinja2.Environment(
        loader=jinja2.PackageLoader("gradcheck", "templates"), autoescape=True, keep_trailing_newline=True
    )
