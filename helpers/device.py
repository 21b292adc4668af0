"""Device choice: the GPU when one is present, otherwise the CPU."""

import os

import torch

DEVICE_VARIABLE = "COURSE_DEVICE"


def choose_device() -> torch.device:
    """Return `cuda` when a GPU is available, else `cpu`; the COURSE_DEVICE variable overrides both."""
    requested = os.environ.get(DEVICE_VARIABLE)
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
