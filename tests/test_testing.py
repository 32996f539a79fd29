"""The pytest surface: ``assert_gradients``, the ``check_gradients`` fixture and ``--gradcheck-profile``."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradcheck import GradcheckError
from gradcheck.network.activations import get_activation
from gradcheck.network.mistakes import get_mistake
from gradcheck.strategies import reference_problem
from gradcheck.testing import assert_gradients

problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)


def test_right_gradients_return_the_report() -> None:
    report = assert_gradients(problem.cost, problem.parameters, problem.gradients(), X=problem.X, Y=problem.Y)
    assert report.passed and report.reference is not None


def test_the_message_names_gradient_worst_entry_and_mistake() -> None:
    grads = get_mistake("derivative_is_A1").at(problem.parameters, problem.X, problem.Y, "tanh")
    with pytest.raises(AssertionError) as raised:
        assert_gradients(problem.cost, problem.parameters, grads, X=problem.X, Y=problem.Y)
    message = str(raised.value)
    assert "Wrong gradients: dW1, db1 (2 of 4" in message
    assert "Mismatched elements: 12 / 12 (100%)" in message
    assert "Worst at W1[2, 1]: analytic -0.037972162, numeric 0.051222075" in message
    assert "Likely mistake (wrong_activation_derivative)" in message
    assert "Fix: dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))" in message


def test_a_shape_problem_is_reported_as_such() -> None:
    grads = get_mistake("no_keepdims_db1").at(problem.parameters, problem.X, problem.Y, "tanh")
    with pytest.raises(AssertionError, match=r"shape \(4,\), expected \(4, 1\)") as raised:
        assert_gradients(problem.cost, problem.parameters, grads)
    assert "keepdims=True" in str(raised.value)


def test_the_learner_form_and_unusable_calls() -> None:
    from gradcheck.network.two_layer import backward, forward

    report = assert_gradients(
        forward=lambda X, p: forward(X, p, "tanh"),
        backward=lambda p, cache, X, Y: backward(p, cache, X, Y, "tanh"),
        parameters=problem.parameters,
        X=problem.X,
        Y=problem.Y,
    )
    assert report.passed
    with pytest.raises(GradcheckError):
        assert_gradients("not a function", problem.parameters, problem.gradients())


def docs_example() -> str:
    """The test file shown in docs/testing.md (the block after ``<!-- pytest-example -->``)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "testing.md").read_text(encoding="utf-8")
    block = text.split("<!-- pytest-example -->", 1)[1]
    return block.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(
    ("profile", "mode", "method"),
    [
        (None, "exhaustive", "central"),
        ("fast", "directional", "central"),
        ("thorough", "exhaustive", "richardson"),
    ],
)
def test_fixture_uses_the_profile(
    pytester: pytest.Pytester, profile: str | None, mode: str, method: str
) -> None:
    pytester.makepyfile(test_user=docs_example())
    # in-process: gradcheck is already imported, so pytest cannot assertion-rewrite it (harmless)
    args = ["-s", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"] + (
        [f"--gradcheck-profile={profile}"] if profile else []
    )
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"*MODE {mode} METHOD {method}*"])
    result.stdout.fnmatch_lines(["*dW2 is exactly m = 7 times too large*", "*Worst at W2*"])
    # the traceback ends at the user's line: gradcheck's own frames are hidden
    output = result.stdout.str()
    assert "check_gradients(cost, parameters, grads, X=X, Y=Y)" in output
    assert "raise AssertionError(failure_message" not in output


def test_an_unknown_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=docs_example())
    result = pytester.runpytest("--gradcheck-profile=slowest")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'slowest'*"])
