"""The gradcheck command."""

import subprocess
import sys

import pytest

from gradcheck.cli import main, reference_sweep
from network.activations import ACTIVATIONS


def test_report_on_the_reference_network_passes_for_every_activation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["report", "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    for name in ACTIVATIONS:
        assert name in out
    assert "checks passed" in out and "WRONG" not in out


def test_sweep_compares_with_autograd_everywhere() -> None:
    cases = reference_sweep(shapes=[(2, 3, 1, 5)], seeds=[0])
    assert len(cases) == len(ACTIVATIONS)
    for case in cases:
        assert case.report.passed
        assert case.report.reference is not None and case.activation in case.report.reference
        assert all(r.reference_error is not None and r.reference_error < 1e-12 for r in case.report)


def test_console_script_module_and_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradcheck", "report", "--seeds", "0"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "--seeds must be at least 1" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gradcheck"], capture_output=True, text=True)
    assert done.returncode == 2 and "report" in done.stderr
