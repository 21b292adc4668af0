"""Time lesson 7's double-descent sweep, and a straightforward version of it, in one run.

Target: the sweep (>= 30 widths x >= 3 repeats) under 30 s on 2 cores. Also times the lesson's one-draw spectral
pass (sections 3.1-3.3: one SVD per width, every filter factor from it) and its closed-form training-time path
(section 5). Figures only: nothing fails.
"""

import math
import time

import torch
from sklearn.datasets import load_digits

from helpers.double_descent import (
    corrupt_labels,
    gradient_descent_factors,
    relu_features,
    ridge_factors,
    spectral_basis,
    width_sweep,
)


def spectral_pass(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
                  widths: list[int]) -> tuple[float, float]:
    """Seconds for the lesson's one-draw pass over all widths, and for the 49-point gradient-descent path at p = n."""
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    W = torch.randn(X_train.shape[1], widths[-1], generator=generator, dtype=torch.float64) / 8
    Y_train = torch.nn.functional.one_hot(corrupt_labels(y_train, 0.2, 10, generator), 10).double()
    Y_test = torch.nn.functional.one_hot(y_test, 10).double()
    grid = torch.logspace(-6, 3, 28, dtype=torch.float64)
    for width in widths:
        basis = spectral_basis(relu_features(X_train, W[:, :width]), relu_features(X_test, W[:, :width]))
        basis.test_mse(ridge_factors(basis.s, grid), Y_train, Y_test)
        if width == len(X_train):
            at_threshold = basis
    pass_seconds = time.perf_counter() - start
    start = time.perf_counter()
    steps = torch.logspace(0, 12, 49, dtype=torch.float64)
    at_threshold.test_mse(gradient_descent_factors(at_threshold.s, float(1 / at_threshold.s.max() ** 2), steps),
                          Y_train, Y_test)
    return pass_seconds, time.perf_counter() - start


def main() -> None:
    """Run both versions on the same data and print their times and the curve's key numbers."""
    digits = load_digits()
    X = torch.tensor(digits.data, dtype=torch.float64) / 16.0
    y = torch.tensor(digits.target)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
    n = 400
    train, test = order[:n], order[n:]
    centre = X[train].mean(dim=0)
    X_train, X_test = X[train] - centre, X[test] - centre
    widths = sorted(set(torch.logspace(1, math.log10(10 * n), 36).round().long().tolist()) | {n})
    ridges, noises, repeats = [0.0, 0.01, 1.0], [0.0, 0.2], 3

    start = time.perf_counter()
    sweep = width_sweep(X_train, y[train], X_test, y[test], widths, repeats=repeats, ridges=ridges, noises=noises)
    sweep_seconds = time.perf_counter() - start

    start = time.perf_counter()
    Y = torch.nn.functional.one_hot(y[train], 10).double()
    for repeat in range(repeats):
        W = torch.randn(64, max(widths), generator=torch.Generator().manual_seed(repeat), dtype=torch.float64) / 8
        for width in widths:
            Phi = relu_features(X_train, W[:, :width])
            for ridge in ridges:
                for _ in noises:  # one full solve per setting, in the p x p space
                    if ridge == 0:
                        torch.linalg.pinv(Phi) @ Y
                    else:
                        torch.linalg.solve(Phi.T @ Phi + ridge * torch.eye(width, dtype=torch.float64), Phi.T @ Y)
    naive_seconds = time.perf_counter() - start

    pass_seconds, path_seconds = spectral_pass(X_train, y[train], X_test, y[test], widths)

    settings = len(ridges) * len(noises)
    print(f"random-features double descent on digits: n = {n}, {len(widths)} widths up to {widths[-1]}, "
          f"{repeats} repeats, {settings} settings (ridge x label noise), {torch.get_num_threads()} threads")
    print(f"  sweep (one SVD per width, all settings from it): {sweep_seconds:6.1f} s (target < 30 s)")
    print(f"  straightforward (one solve per setting):         {naive_seconds:6.1f} s "
          f"({naive_seconds / sweep_seconds:.1f}x slower)")
    print(f"  one-draw spectral pass (singular values, 28 ridges per width): {pass_seconds:6.1f} s")
    print(f"  gradient descent over 49 training times at p = n (closed form): {1000 * path_seconds:6.0f} ms")
    curve = sweep.mean(0.0, 0.0)
    peak = int(curve.argmax())
    print(f"  clean labels, no ridge: test MSE {curve[0]:.3f} at width {widths[0]}, {curve[peak]:.3g} at width "
          f"{widths[peak]} (the peak), {curve[-1]:.3f} at width {widths[-1]}")


if __name__ == "__main__":
    main()
