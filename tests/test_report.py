"""The views of a report: the text table (``str(report)``), the notebook view (``_repr_html_``) and
the element error map behind it."""

from __future__ import annotations

import builtins
import dataclasses
import re
from html.parser import HTMLParser
from typing import Any

import my_course_code as course
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.network.activations import get_activation
from gradcheck.network.mistakes import get_mistake
from gradcheck.report import Diagnosis, GradientReport
from gradcheck.strategies import reference_problem

problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)


class Tags(HTMLParser):
    """Reads the notebook view as a browser would: balanced tags, each element's style, the text of
    each table row's cells and paragraph, and the error maps' cells (``title`` and written text)."""

    VOID = frozenset({"br", "img", "meta", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.styles: list[dict[str, str]] = []
        self.titles: list[str] = []
        self.cell_texts: list[str] = []  # the text written in each map cell (those with a title)
        self.rows: list[list[str]] = []  # every table row's cells' text, headers included
        self.paragraphs: list[str] = []
        self.codes: list[str] = []
        self.text: list[str] = []
        self.balanced = True
        self._capture: list[list[str]] = []  # text of the open p, td/th, code

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)
        attributes = dict(attrs)
        style = attributes.get("style") or ""
        self.styles.append(
            {k.strip(): v.strip() for k, _, v in (d.partition(":") for d in style.split(";")) if k.strip()}
        )
        if tag == "td" and attributes.get("title"):
            self.titles.append(attributes["title"] or "")
        if tag == "tr":
            self.rows.append([])
        if tag in ("p", "td", "th", "code"):
            self._capture.append([])

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for buffer in self._capture:
            buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.balanced = False
        if tag in ("p", "td", "th", "code"):
            text = " ".join("".join(self._capture.pop()).split())
            if tag == "p":
                self.paragraphs.append(text)
            elif tag == "code":
                self.codes.append(text)
            else:
                self.rows[-1].append(text)
                if tag == "td" and len(self.cell_texts) < len(self.titles):
                    self.cell_texts.append(text)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    assert tags.balanced and not tags.open, "unbalanced HTML"
    return tags


def planted_bugs() -> GradientReport:
    """docs/quickstart.md's "When a gradient is wrong": the course's dW2 doubled and db1 quadrupled."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 40))
    Y = (rng.random((1, 40)) > 0.5).astype(float)

    def backward_with_bugs(parameters: Any, cache: Any, X: Any, Y: Any) -> dict[str, np.ndarray]:
        grads: dict[str, np.ndarray] = course.backward_propagation(parameters, cache, X, Y)
        return {**grads, "dW2": grads["dW2"] * 2, "db1": grads["db1"] * 4}

    parameters = course.initialize_parameters(2, 4, 1)
    return verify_gradients(
        forward=course.forward_propagation, backward=backward_with_bugs, parameters=parameters, X=X, Y=Y
    )


def test_passing_report_is_a_green_table_without_maps() -> None:
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), problem.X, problem.Y)
    html = report._repr_html_()
    tags = parse(html)
    assert "OK All 4 gradients match" in " ".join(tags.paragraphs)
    assert [row[-1] for row in tags.rows[1:]] == ["ok"] * 4
    assert not tags.titles and all(result.excess is None for result in report)
    assert "Element error map" not in html


def test_failing_report_shows_the_mistake_and_an_element_error_map() -> None:
    grads = get_mistake("missing_1_over_m_dW2").at(problem.parameters, problem.X, problem.Y, "tanh")
    grads["dW2"][0, 1] = problem.gradients()["dW2"][0, 1]  # one entry right
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    result = report["dW2"]
    assert result.excess is not None and result.excess.shape == (1, 4)
    assert np.count_nonzero(result.excess > 1) == result.n_failed == 3
    html = report._repr_html_()
    tags = parse(html)
    assert tags.titles[1] == "W2[0, 1]: " + f"{result.excess[0, 1]:.2g} of the tolerance"
    assert all("× the tolerance" in title for i, title in enumerate(tags.titles) if i != 1)
    assert [row[-1] for row in tags.rows[1:5]] == ["ok", "ok", "WRONG", "ok"]
    assert "Likely mistake" in html and "Element error map of dW2" in html


def test_messages_are_escaped() -> None:
    grads = get_mistake("derivative_is_A1").at(problem.parameters, problem.X, problem.Y, "tanh")
    html = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)._repr_html_()
    parse(html)
    assert "g&#39;(Z1)" in html and "g'(Z1)" not in html


#: Two notebook themes: the page's background and its text colour (JupyterLab's light and dark).
THEMES = {"light": ((255, 255, 255), (33, 33, 33)), "dark": ((17, 17, 17), (224, 224, 224))}


def colour(value: str, behind: tuple[int, ...]) -> tuple[float, ...] | None:
    """``#rrggbb``, ``rgb(…)`` or ``rgba(…)`` as seen over ``behind``; None for ``transparent``."""
    if value == "transparent":
        return None
    if value.startswith("#"):
        return tuple(int(value[k : k + 2], 16) for k in (1, 3, 5))
    numbers = [float(x) for x in re.findall(r"[\d.]+", value)]
    alpha = numbers[3] if len(numbers) == 4 else 1.0
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(numbers[:3], behind, strict=True))


def contrast(one: tuple[float, ...], other: tuple[float, ...]) -> float:
    """The WCAG contrast ratio of two colours."""

    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [c / 3294.6 if c <= 10.31 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one) + 0.05, luminance(other) + 0.05), reverse=True)
    return high / low


@pytest.mark.parametrize("theme", THEMES)
def test_text_is_readable_wherever_the_view_sets_a_background(theme: str) -> None:
    """Every background comes with a text colour (its own, or the theme's through ``inherit``),
    and the two contrast at least 4.5:1 (WCAG AA) in light and in dark notebooks alike."""
    page, text = THEMES[theme]
    for report in (planted_bugs(), verify_gradients(problem.cost, problem.parameters, problem.gradients())):
        styles = [style for style in parse(report._repr_html_()).styles if "background" in style]
        assert len(styles) > 4
        for style in styles:
            assert "color" in style, style
            background = colour(style["background"], page)
            if background is None:
                continue
            foreground = text if style["color"] == "inherit" else colour(style["color"], background)
            assert foreground is not None and contrast(background, foreground) >= 4.5, (theme, style)


def test_backticks_in_messages_become_code() -> None:
    report = planted_bugs()
    assert "`dW2 = dW2 * 2; db1 = db1 * 4`" in report.diagnosis.message  # type: ignore[union-attr]
    html = report._repr_html_()
    assert "dW2 = dW2 * 2; db1 = db1 * 4" in parse(html).codes and "`" not in html
    odd = dataclasses.replace(report, diagnosis=Diagnosis("scaled", "use `a < b` where 'a' > b; a ` alone"))
    html = odd._repr_html_()
    assert "<code>a &lt; b</code> where &#39;a&#39; &gt; b; a ` alone" in html


def test_each_failed_gradient_says_each_thing_once() -> None:
    report = planted_bugs()
    tags = parse(report._repr_html_())
    lines = [p for p in tags.paragraphs if p.startswith(("dW2", "db1"))]
    assert lines == [
        "db1: shape (4, 1), as expected; 4 of 4 entries beyond tolerance (checked: every entry).",
        "dW2: shape (1, 4), as expected; 4 of 4 entries beyond tolerance (checked: every entry).",
    ]
    text = " ".join(tags.paragraphs)
    assert "as above" not in text and "likely:" not in text.lower()
    assert text.count(report.diagnosis.message.split("`")[0]) == 1  # type: ignore[union-attr]
    worst = report["dW2"]
    assert (
        f"Worst entry W2[0, 1]: analytic {worst.worst_analytic:.6g}, numeric {worst.worst_numeric:.6g}"
        in text
    )


def test_a_gradients_own_mistake_is_shown_beside_it() -> None:
    """Two unrelated mistakes: each failed gradient says its own."""
    grads = problem.gradients()
    grads["dW1"] = -grads["dW1"]
    grads["db2"] = grads["db2"] * 3
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    text = " ".join(parse(report._repr_html_()).paragraphs)
    assert report.diagnosis is not None and "See each gradient's diagnosis" in report.diagnosis.message
    for name, code in (("W1", "sign_flipped"), ("b2", "scaled")):
        diagnosis = report[name].diagnosis
        assert diagnosis is not None and diagnosis.code == code
        assert f"Likely mistake: {diagnosis.message}" in text


def test_the_error_map_of_a_small_block_is_labelled_and_writes_its_numbers() -> None:
    report = planted_bugs()
    tags = parse(report._repr_html_())
    assert any(
        p.startswith("Element error map of dW2 (shape 1x4; row i, column j of W2[i, j])")
        for p in tags.paragraphs
    )
    map_rows = [row for row in tags.rows if row and row[0] in ("", "0", "1", "2", "3") and len(row) <= 5]
    assert ["", "0", "1", "2", "3"] in map_rows and ["", "0"] in map_rows  # dW2's columns, db1's
    # every cell writes its |a − n| / τ, the number its tooltip gives
    assert len(tags.cell_texts) == len(tags.titles) == 8
    for written, title in zip(tags.cell_texts, tags.titles, strict=True):
        number = float(title.split(": ")[1].split(" ")[0])
        assert float(written) == pytest.approx(number)


def test_the_error_map_of_a_larger_block_names_its_largest_entries() -> None:
    wide = reference_problem((12, 3, 1, 7), get_activation("tanh"), seed=3, scale=0.7)
    grads = wide.gradients()
    grads["dW1"] = grads["dW1"].copy()
    grads["dW1"][1, 10] *= 1.5
    grads["dW1"][2, 3] *= 1.01
    report = verify_gradients(wide.cost, wide.parameters, grads, wide.X, wide.Y)
    tags = parse(report._repr_html_())
    assert report["dW1"].n_failed == 2 and len(tags.titles) == 36
    assert not any(tags.cell_texts)  # too many to write: colours, tooltips, and the caption
    (largest,) = [p for p in tags.paragraphs if p.startswith("Largest:")]
    assert re.fullmatch(r"Largest: W1\[1, 10\] \S+ ×, W1\[2, 3\] \S+ × the tolerance\.", largest)


class Printer:
    """The part of IPython's pretty printer a ``_repr_pretty_`` uses."""

    def __init__(self) -> None:
        self.output = ""

    def text(self, text: str) -> None:
        self.output += text


def test_ipython_shows_the_text_table_and_repr_stays_short() -> None:
    report = planted_bugs()
    printer = Printer()
    report._repr_pretty_(printer, False)
    assert printer.output == str(report).rstrip("\n") and printer.output.startswith("2 of 4 gradients")
    assert repr(report) == "<GradientReport passed=False gradients=['W1', 'b1', 'W2', 'b2']>"


def test_str_is_the_text_table_inside_a_jupyter_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a notebook's kernel ``str(report)`` and ``print(report)`` give the table, not ``""``."""
    report = planted_bugs()
    outside = str(report)

    class ZMQInteractiveShell:  # what a Jupyter kernel's get_ipython() returns
        pass

    monkeypatch.setattr(builtins, "get_ipython", ZMQInteractiveShell, raising=False)
    assert str(report) == outside and outside.startswith("2 of 4 gradients are wrong")


def test_the_text_table_calls_a_shape_of_no_axes_a_scalar() -> None:
    """``J = b²/2 + Σ w²/2``: ``b`` is a number (shape ()), ``w`` a column; both gradients get a
    shape of another size."""
    b, w = np.float64(0.5), np.array([[1.0], [-2.0]])

    def cost(p: dict[str, np.ndarray]) -> float:
        return float(p["b"] ** 2 / 2 + np.sum(p["w"] ** 2) / 2)

    report = verify_gradients(cost, {"b": b, "w": w}, {"db": np.array([b, b]), "dw": np.float64(-1.0)})
    text = str(report)
    assert "2 (want scalar)" in text and "scalar (want 2x1)" in text


def test_a_gradient_not_compared_has_no_count_of_entries_off() -> None:
    """A lost keepdims: the row says "not checked", so it does not also claim "4/4" entries off."""
    import my_course_code as course  # tests/fixtures, on the path (conftest.py)

    from gradcheck import verify_gradients

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 40)), (rng.random((1, 40)) > 0.5).astype(float)

    def backward(parameters, cache, X, Y):  # type: ignore[no-untyped-def]
        grads = course.backward_propagation(parameters, cache, X, Y)
        grads["db1"] = grads["db1"].ravel()
        return grads

    report = verify_gradients(
        forward=course.forward_propagation,
        backward=backward,
        parameters=course.initialize_parameters(2, 4, 1),
        X=X,
        Y=Y,
    )
    (row,) = [line for line in str(report).splitlines() if line.startswith("db1 ")]
    assert "not checked" in row and "4/4" not in row and " - " in row
    assert report["db1"].n_failed == 4  # the data still counts every entry as failed
