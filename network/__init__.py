"""The reference models, with hand-derived gradients: the one-hidden-layer network, on the seam."""

from .activations import ACTIVATIONS, Activation, get_activation
from .two_layer import (
    PARAMETER_NAMES,
    backward,
    cost,
    cost_from_logits,
    forward,
    initialize_parameters,
)

__all__ = [
    "ACTIVATIONS",
    "PARAMETER_NAMES",
    "Activation",
    "backward",
    "cost",
    "cost_from_logits",
    "forward",
    "get_activation",
    "initialize_parameters",
]
