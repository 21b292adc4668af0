"""Random-features regression sweeps that show double descent in seconds on a CPU.

Features are phi(x) = relu(x @ W) with W ~ N(0, 1/d). For each feature matrix one thin SVD
Phi = U diag(s) V^T serves every ridge penalty and every label set at once:
beta = V diag(s / (s^2 + ridge)) U^T Y, and with ridge 0 the pseudo-inverse (the minimum-norm
least-squares solution) with singular values below the usual cut-off treated as 0.

Why an SVD and not the normal equations (Phi^T Phi) beta = Phi^T Y: forming Phi^T Phi squares the condition
number, and at the interpolation threshold Phi is nearly singular, so the normal equations would lose twice as
many digits to rounding as the SVD, which works on Phi itself.
"""

import math
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm


def relu_features(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Random ReLU features relu(X @ W) for inputs X [n, d] and random weights W [d, p]."""
    return torch.relu(X @ W)


def spectral_fits(Phi: torch.Tensor, Y: torch.Tensor, ridges: list[float]) -> list[torch.Tensor]:
    """Least-squares coefficients [p, k] of Y [n, k] on Phi [n, p] for each ridge (0: minimum norm)."""
    U, s, Vh = torch.linalg.svd(Phi, full_matrices=False)
    cutoff = s.max() * max(Phi.shape) * torch.finfo(Phi.dtype).eps
    UtY = U.T @ Y
    fits = []
    for ridge in ridges:
        factor = torch.where(s > cutoff, 1 / s, torch.zeros_like(s)) if ridge == 0 else s / (s**2 + ridge)
        fits.append(Vh.T @ (factor.unsqueeze(1) * UtY))
    return fits


def corrupt_labels(labels: torch.Tensor, fraction: float, classes: int, generator: torch.Generator) -> torch.Tensor:
    """Replace a random `fraction` of integer labels by uniformly random classes (label noise)."""
    noisy = labels.clone()
    flip = torch.rand(len(labels), generator=generator) < fraction
    noisy[flip] = torch.randint(0, classes, (int(flip.sum()),), generator=generator)
    return noisy


@dataclass
class Sweep:
    """Test and train mean squared errors [repeats, points] per (ridge, label noise) setting."""

    points: list[int]
    test_mse: dict[tuple[float, float], torch.Tensor]
    train_mse: dict[tuple[float, float], torch.Tensor]
    test_error: dict[tuple[float, float], torch.Tensor]  # classification error of the argmax

    def mean(self, ridge: float = 0.0, noise: float = 0.0) -> torch.Tensor:
        """Test MSE averaged over repeats for one setting."""
        return self.test_mse[(ridge, noise)].mean(dim=0)


def _one_hot(labels: torch.Tensor, classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels, classes).to(torch.float64)


def _evaluate(sweep: Sweep, key: tuple[float, float], repeat: int, column: int, beta: torch.Tensor,
              Phi_train: torch.Tensor, Y_train: torch.Tensor, Phi_test: torch.Tensor, y_test: torch.Tensor,
              classes: int) -> None:
    predictions = Phi_test @ beta
    sweep.test_mse[key][repeat, column] = ((predictions - _one_hot(y_test, classes)) ** 2).sum(dim=1).mean()
    sweep.train_mse[key][repeat, column] = ((Phi_train @ beta - Y_train) ** 2).sum(dim=1).mean()
    sweep.test_error[key][repeat, column] = (predictions.argmax(dim=1) != y_test).double().mean()


def _empty(points: list[int], repeats: int, settings: list[tuple[float, float]]) -> Sweep:
    def table() -> dict:
        return {key: torch.zeros(repeats, len(points), dtype=torch.float64) for key in settings}

    return Sweep(points, table(), table(), table())


def width_sweep(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
                widths: list[int], *, repeats: int, ridges: list[float] = (0.0,), noises: list[float] = (0.0,),
                classes: int = 10, seed: int = 0, progress: bool = False) -> Sweep:
    """Model-wise sweep: test/train MSE of one-hot regression on random ReLU features of each width."""
    settings = [(r, z) for r in ridges for z in noises]
    sweep = _empty(list(widths), repeats, settings)
    d = X_train.shape[1]
    bar = tqdm(total=repeats * len(widths), desc="width sweep", unit="fit", disable=not progress, leave=False)
    for repeat in range(repeats):
        generator = torch.Generator().manual_seed(seed + repeat)
        W_all = torch.randn(d, max(widths), generator=generator, dtype=torch.float64) / math.sqrt(d)
        labels = {z: corrupt_labels(y_train, z, classes, generator) if z else y_train for z in noises}
        targets = torch.cat([_one_hot(labels[z], classes) for z in noises], dim=1)
        for column, width in enumerate(widths):
            Phi_train = relu_features(X_train, W_all[:, :width])
            Phi_test = relu_features(X_test, W_all[:, :width])
            for ridge, beta_all in zip(ridges, spectral_fits(Phi_train, targets, list(ridges)), strict=True):
                for k, noise in enumerate(noises):
                    beta = beta_all[:, k * classes:(k + 1) * classes]
                    _evaluate(sweep, (ridge, noise), repeat, column, beta, Phi_train,
                              targets[:, k * classes:(k + 1) * classes], Phi_test, y_test, classes)
            bar.update()
    bar.close()
    return sweep


def sample_sweep(X_pool: torch.Tensor, y_pool: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
                 sizes: list[int], *, width: int, repeats: int, ridges: list[float] = (0.0,),
                 noise: float = 0.0, classes: int = 10, seed: int = 0) -> Sweep:
    """Sample-wise sweep: fixed feature width, training sets of growing size drawn from a pool."""
    settings = [(r, noise) for r in ridges]
    sweep = _empty(list(sizes), repeats, settings)
    d = X_pool.shape[1]
    for repeat in range(repeats):
        generator = torch.Generator().manual_seed(seed + repeat)
        W = torch.randn(d, width, generator=generator, dtype=torch.float64) / math.sqrt(d)
        order = torch.randperm(len(X_pool), generator=generator)
        labels = corrupt_labels(y_pool, noise, classes, generator) if noise else y_pool
        Phi_test = relu_features(X_test, W)
        for column, size in enumerate(sizes):
            rows = order[:size]
            Phi_train, targets = relu_features(X_pool[rows], W), _one_hot(labels[rows], classes)
            for ridge, beta in zip(ridges, spectral_fits(Phi_train, targets, list(ridges)), strict=True):
                _evaluate(sweep, (ridge, noise), repeat, column, beta, Phi_train, targets, Phi_test, y_test, classes)
    return sweep


@dataclass
class SpectralBasis:
    """A training feature matrix's thin SVD Phi = U diag(s) V^T (numerically zero directions dropped), with the
    test features expressed in the same right-singular basis: test_in_basis = Phi_test V.

    Every linear fitting rule studied here (minimum norm, ridge, gradient descent stopped after t steps, truncated
    SVD) is beta = V diag(f(s)) U^T Y for some filter factors f(s), so one basis serves them all.
    """

    U: torch.Tensor
    s: torch.Tensor
    test_in_basis: torch.Tensor

    def coefficient_norm(self, factors: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """Frobenius norm of beta = V diag(factors) U^T Y for factors [..., r] (V has orthonormal columns)."""
        return (factors.unsqueeze(-1) * (self.U.T @ Y)).flatten(-2).norm(dim=-1)

    def test_mse(self, factors: torch.Tensor, Y_train: torch.Tensor, Y_test: torch.Tensor) -> torch.Tensor:
        """Test MSE (squared error summed over outputs, averaged over rows) of the fit with factors [..., r]."""
        predictions = self.test_in_basis @ (factors.unsqueeze(-1) * (self.U.T @ Y_train))
        return ((predictions - Y_test) ** 2).sum(dim=-1).mean(dim=-1)


def spectral_basis(Phi_train: torch.Tensor, Phi_test: torch.Tensor) -> SpectralBasis:
    """SVD of Phi_train [n, p], keeping singular values above the pseudo-inverse cut-off, and Phi_test [m, p] V."""
    U, s, Vh = torch.linalg.svd(Phi_train, full_matrices=False)
    keep = s > s.max() * max(Phi_train.shape) * torch.finfo(Phi_train.dtype).eps
    return SpectralBasis(U[:, keep], s[keep], Phi_test @ Vh[keep].T)


def ridge_factors(s: torch.Tensor, ridges: torch.Tensor) -> torch.Tensor:
    """Ridge filter factors s / (s^2 + lambda), one row [len(ridges), r] per penalty; lambda = 0 gives 1 / s."""
    return s / (s**2 + ridges.reshape(-1, 1))


def gradient_descent_factors(s: torch.Tensor, lr: float, steps: torch.Tensor) -> torch.Tensor:
    """Filter factors (1 - (1 - lr s^2)^t) / s of full-batch gradient descent from beta = 0 after t steps, one row
    per entry of steps, for the loss ||Phi beta - Y||^2 / 2 and a step size lr <= 1 / s_max^2."""
    decay = torch.log1p(-lr * s**2)  # log(1 - lr s^2), accurate when lr s^2 is tiny; -inf when it is 1
    steps = steps.reshape(-1, 1).to(s.dtype)
    exponent = torch.where(steps == 0, torch.zeros_like(decay), steps * decay)  # 0 steps: (1 - lr s^2)^0 = 1
    return -torch.expm1(exponent) / s


def truncation_factors(s: torch.Tensor, floor: float) -> torch.Tensor:
    """Minimum-norm filter factors 1 / s with the directions whose singular value is below floor removed."""
    return torch.where(s >= floor, 1 / s, torch.zeros_like(s))
