"""Finite-difference gradient checks in float64, for checking hand-written backward code."""

from collections.abc import Callable

import torch


def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central-difference gradient of the scalar function `f` at `x`, computed in float64."""
    x = x.detach().to(torch.float64).clone()
    grad = torch.zeros_like(x)
    flat_x, flat_grad = x.view(-1), grad.view(-1)
    for i in range(flat_x.numel()):
        original = flat_x[i].item()
        flat_x[i] = original + eps
        plus = float(f(x))
        flat_x[i] = original - eps
        minus = float(f(x))
        flat_x[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max(|a|, |b|, tiny): about 1e-8 or less when two float64 gradients agree."""
    a, b = a.detach().to(torch.float64), b.detach().to(torch.float64)
    scale = torch.maximum(a.abs().max(), b.abs().max()).clamp_min(1e-12)
    return ((a - b).abs().max() / scale).item()


def gradient_check(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, analytic: torch.Tensor,
                   eps: float = 1e-6) -> float:
    """Relative error between an analytic gradient of `f` at `x` and the finite-difference one."""
    return relative_error(analytic, numerical_gradient(f, x, eps))
