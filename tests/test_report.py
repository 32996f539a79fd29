"""The views of a report: the text table (``str(report)``), the notebook view (``_repr_html_``) and
the element error map behind it."""

from __future__ import annotations

import builtins
from html.parser import HTMLParser
from typing import Any

import my_course_code as course
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.network.activations import get_activation
from gradcheck.network.mistakes import get_mistake
from gradcheck.report import GradientReport
from gradcheck.strategies import reference_problem

problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)


class Tags(HTMLParser):
    """Counts opened and closed tags, and collects the error map's cells (their ``title``)."""

    VOID = frozenset({"br", "img", "meta", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.titles: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)
        title = dict(attrs).get("title")
        if tag == "td" and title:
            self.titles.append(title)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.balanced = False


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
    assert "All 4 gradients match" in html and "#1a7f37" in html
    assert html.count('<tr style="background: #dafbe1">') == 4
    assert not tags.titles and all(result.excess is None for result in report)


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
    assert all("x the tolerance" in title for i, title in enumerate(tags.titles) if i != 1)
    assert html.count('<tr style="background: #ffebe9">') == 1
    assert "Likely mistake" in html and "Element error map of dW2" in html


def test_messages_are_escaped() -> None:
    grads = get_mistake("derivative_is_A1").at(problem.parameters, problem.X, problem.Y, "tanh")
    html = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)._repr_html_()
    parse(html)
    assert "g&#39;(Z1)" in html and "g'(Z1)" not in html


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
