"""gradcheck: is a hand-written gradient right, and if not, which entries are wrong and why.

>>> from gradcheck import verify_gradients, numerical_gradient, GradcheckError
"""

from gradcheck.errors import GradcheckError
from gradcheck.numerical import GradcheckWarning, numerical_gradient
from gradcheck.report import DIAGNOSIS_CODES, Diagnosis, GradientReport, GradientResult
from gradcheck.verify import verify_gradients

__all__ = [
    "DIAGNOSIS_CODES",
    "Diagnosis",
    "GradcheckError",
    "GradcheckWarning",
    "GradientReport",
    "GradientResult",
    "numerical_gradient",
    "verify_gradients",
]

__version__ = "0.1.0"
