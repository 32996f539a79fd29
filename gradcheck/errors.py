"""What gradcheck raises for calls it cannot check, and how it warns."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import FrameType

__all__ = ["GradcheckError", "GradcheckWarning", "warn"]

_PACKAGE = str(Path(__file__).resolve().parent)


class GradcheckError(ValueError):
    """A call that cannot be checked: the message says what is wrong and how to fix it.

    Wrong *gradients* never raise this; they are failed entries in the report. This is for
    inputs that make any check meaningless: a cost that is not callable or not a finite
    scalar, parameters that are not a dict of finite float arrays, a cost that gives two
    different values at the same point, a learner function that raises, and so on.
    """


class GradcheckWarning(UserWarning):
    """A check went ahead, but not as asked (e.g. the complex step fell back to Richardson)."""


def warn(message: str) -> None:
    """Warn with :class:`GradcheckWarning`, pointing at the caller's line: the first frame outside
    gradcheck, however deep inside it the warning arose."""
    frame: FrameType | None = sys._getframe(1)
    level = 2  # stacklevel 2 is the frame that called warn()
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, GradcheckWarning, stacklevel=level)
