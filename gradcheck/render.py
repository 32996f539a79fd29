"""Views of a :class:`~gradcheck.report.GradientReport`: the terminal table (rich) and the notebook
view (jinja2). The report holds data only; it imports this module when it is printed or shown.
"""

from __future__ import annotations

import functools
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import jinja2

    from gradcheck.report import GradientReport, GradientResult

__all__ = ["notebook_view", "plain_text", "terminal_view"]


def _columns(report: GradientReport) -> list[str]:
    columns = ["gradient", "shape", "rel. error", *(["vs autograd"] if report.reference else [])]
    return [*columns, "entries off", "checked", "opinions", "verdict"]


def _cells(report: GradientReport, result: GradientResult) -> list[str]:
    cells = [result.label, _shape(result), _format_error(result.relative_error)]
    if report.reference is not None:
        cells.append(_format_error(result.reference_error))
    return [*cells, f"{result.n_failed}/{result.size}", result.coverage, result.opinions, _verdict(result)]


def terminal_view(report: GradientReport) -> Group:
    """The rich renderable: headline, likely mistake, one row per gradient, the failed ones, notes."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in _columns(report):
        right = column in ("rel. error", "vs autograd", "entries off")
        table.add_column(column, justify="right" if right else "left")
    for result in report:
        table.add_row(*_cells(report, result))
    lines: list[Any] = [Text(report.headline())]
    if report.diagnosis is not None:
        lines.append(Text(f"Likely mistake ({report.diagnosis.code}): {report.diagnosis.message}"))
    lines.append(table)
    for result in report.failed:  # "as above" where the headline's diagnosis already says it
        lines.append(Text(result.summary(diagnosis=result.diagnosis != report.diagnosis)))
    lines.append(Text(report.footer()))
    lines += [Text(f"note: {note}") for note in _notes(report)]
    return Group(*lines)


def _notes(report: GradientReport) -> list[str]:
    """The report's notes, then each gradient's (a harmless shape)."""
    return [*report.notes, *(result.note for result in report if result.note)]


def plain_text(report: GradientReport) -> str:
    """``str(report)``: the terminal view without colour, 110 columns wide."""
    buffer = io.StringIO()
    Console(file=buffer, width=110, color_system=None, force_terminal=False).print(
        terminal_view(report), soft_wrap=True
    )
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
