"""The one exception gradcheck raises for calls it cannot check."""

from __future__ import annotations

__all__ = ["GradcheckError"]


class GradcheckError(ValueError):
    """A call that cannot be checked: the message says what is wrong and how to fix it.

    Wrong *gradients* never raise this; they are failed entries in the report. This is for
    inputs that make any check meaningless: a cost that is not callable or not a finite
    scalar, parameters that are not a dict of finite float arrays, a cost that gives two
    different values at the same point, a learner function that raises, and so on.
    """
