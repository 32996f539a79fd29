"""What gradcheck raises for calls it cannot check, and how it warns."""

from __future__ import annotations

import sys
import sysconfig
import traceback
import warnings
from pathlib import Path
from types import FrameType

__all__ = ["GradcheckError", "GradcheckWarning", "learner_frames", "located", "warn"]

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


def _library_paths() -> tuple[str, ...]:
    """Folders whose code is not the learner's: gradcheck, the standard library, installed packages."""
    paths = sysconfig.get_paths()
    return tuple(
        str(Path(p).resolve())
        for p in {_PACKAGE, f"{_PACKAGE}/network", paths["stdlib"], paths["purelib"], paths["platlib"]}
    )


def learner_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback in the learner's own code (outside gradcheck, the standard
    library and installed packages), outermost first."""
    libraries = _library_paths()
    return [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(libraries)
    ]


def located(error: BaseException, name: str) -> str:
    """Where in the learner's code ``error`` was raised, for a message: the calls from the function
    gradcheck called down to the line, e.g. ``"L_model_backward → linear_backward (my_code.py:42,
    `assert (dW.shape == W.shape)`)"``; ``name`` when no frame of the traceback is the learner's."""
    frames = learner_frames(error)
    if not frames:
        return name
    last = frames[-1]
    source = f", `{last.line.strip()}`" if last.line and last.line.strip() else ""
    callers = [frame.name for frame in frames[:-1]]
    return " → ".join([*callers, f"{last.name} ({Path(last.filename).name}:{last.lineno}{source})"])
