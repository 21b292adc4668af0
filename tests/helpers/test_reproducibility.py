import random

import numpy as np
import torch

from helpers.reproducibility import seed_everything


def _draw() -> tuple[float, float, float, float]:
    return random.random(), float(np.random.rand()), torch.rand(1).item(), 0.0


def test_same_seed_same_numbers_everywhere():
    generator = seed_everything(7)
    first = (*_draw()[:3], torch.rand(1, generator=generator).item())
    generator = seed_everything(7)
    second = (*_draw()[:3], torch.rand(1, generator=generator).item())
    assert first == second


def test_different_seeds_differ():
    seed_everything(1)
    first = _draw()
    seed_everything(2)
    assert _draw() != first
