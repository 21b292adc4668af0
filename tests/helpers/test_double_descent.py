import math

import pytest
import torch

from helpers.double_descent import (
    corrupt_labels,
    gradient_descent_factors,
    ridge_factors,
    sample_sweep,
    spectral_basis,
    spectral_fits,
    truncation_factors,
    width_sweep,
)


@pytest.mark.parametrize("shape", [(30, 10), (10, 30), (20, 20)])
def test_spectral_fits_match_pinv_and_ridge_formula(shape):
    generator = torch.Generator().manual_seed(0)
    Phi = torch.randn(*shape, generator=generator, dtype=torch.float64)
    Y = torch.randn(shape[0], 3, generator=generator, dtype=torch.float64)
    ridgeless, ridge = spectral_fits(Phi, Y, [0.0, 0.7])
    assert torch.allclose(ridgeless, torch.linalg.pinv(Phi) @ Y, atol=1e-8)
    eye = torch.eye(shape[1], dtype=torch.float64)
    assert torch.allclose(ridge, torch.linalg.solve(Phi.T @ Phi + 0.7 * eye, Phi.T @ Y), atol=1e-8)


def test_corrupt_labels_changes_about_the_fraction_asked():
    labels = torch.zeros(10_000, dtype=torch.long)
    noisy = corrupt_labels(labels, 0.3, 10, torch.Generator().manual_seed(0))
    assert abs((noisy != 0).float().mean().item() - 0.3 * 0.9) < 0.02


def _blobs(n, d=32, classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, d, generator=generator, dtype=torch.float64) * 2
    labels = torch.randint(0, classes, (n,), generator=generator)
    return centres[labels] + torch.randn(n, d, generator=generator, dtype=torch.float64), labels


def test_width_sweep_peaks_at_the_interpolation_threshold_and_ridge_flattens_it():
    X_train, y_train = _blobs(60)
    X_test, y_test = _blobs(300, seed=1)
    widths = [5, 10, 20, 40, 55, 60, 65, 80, 120, 240, 480]
    sweep = width_sweep(X_train, y_train, X_test, y_test, widths, repeats=3, ridges=[0.0, 1.0], classes=3)
    curve = sweep.mean(0.0)
    assert widths[int(curve.argmax())] == 60
    assert curve.max() > 10 * max(curve[0], curve[-1])
    assert sweep.mean(1.0).max() < 2 * max(sweep.mean(1.0)[0], sweep.mean(1.0)[-1])
    assert (sweep.train_mse[(0.0, 0.0)].mean(0)[widths.index(65):] < 1e-12).all()


def test_sample_sweep_peaks_where_n_equals_width():
    X_pool, y_pool = _blobs(400)
    X_test, y_test = _blobs(300, seed=1)
    sizes = [10, 20, 30, 40, 50, 60, 80, 120, 200, 400]
    sweep = sample_sweep(X_pool, y_pool, X_test, y_test, sizes, width=40, repeats=3, classes=3)
    assert sizes[int(sweep.mean(0.0).argmax())] == 40
    assert math.isfinite(sweep.mean(0.0)[-1])


def _problem(n, p, seed=0):
    generator = torch.Generator().manual_seed(seed)
    Phi = torch.randn(n, p, generator=generator, dtype=torch.float64)
    Phi_test = torch.randn(50, p, generator=generator, dtype=torch.float64)
    Y = torch.randn(n, 3, generator=generator, dtype=torch.float64)
    Y_test = torch.randn(50, 3, generator=generator, dtype=torch.float64)
    return Phi, Phi_test, Y, Y_test


@pytest.mark.parametrize("shape", [(30, 10), (10, 30), (20, 20)])
def test_spectral_basis_reproduces_ridge_and_minimum_norm_fits(shape):
    Phi, Phi_test, Y, Y_test = _problem(*shape)
    basis = spectral_basis(Phi, Phi_test)
    ridges = torch.tensor([0.0, 0.7], dtype=torch.float64)
    mse = basis.test_mse(ridge_factors(basis.s, ridges), Y, Y_test)
    norms = basis.coefficient_norm(ridge_factors(basis.s, ridges), Y)
    for k, beta in enumerate(spectral_fits(Phi, Y, ridges.tolist())):
        assert torch.allclose(mse[k], ((Phi_test @ beta - Y_test) ** 2).sum(dim=1).mean())
        assert torch.allclose(norms[k], beta.norm())


def test_spectral_basis_drops_numerically_zero_directions():
    Phi, Phi_test, _, _ = _problem(20, 8)
    duplicated = torch.cat([Phi, Phi], dim=1)  # rank 8 with 16 columns
    basis = spectral_basis(duplicated, torch.cat([Phi_test, Phi_test], dim=1))
    assert len(basis.s) == 8
    assert basis.test_in_basis.shape == (50, 8)


def test_gradient_descent_factors_match_explicit_iterations_and_tend_to_minimum_norm():
    Phi, Phi_test, Y, Y_test = _problem(12, 30)
    basis = spectral_basis(Phi, Phi_test)
    lr = float(1 / basis.s.max() ** 2)
    beta = torch.zeros(30, 3, dtype=torch.float64)
    for _ in range(25):
        beta = beta - lr * Phi.T @ (Phi @ beta - Y)
    factors = gradient_descent_factors(basis.s, lr, torch.tensor([25, 10**9]))
    assert factors.shape == (2, len(basis.s))
    assert torch.allclose(basis.test_mse(factors[0], Y, Y_test), ((Phi_test @ beta - Y_test) ** 2).sum(dim=1).mean())
    assert torch.allclose(factors[1], 1 / basis.s)
    assert torch.equal(gradient_descent_factors(basis.s, lr, torch.tensor([0])), torch.zeros(1, len(basis.s),
                                                                                             dtype=torch.float64))


def test_truncation_factors_keep_only_directions_at_or_above_the_floor():
    s = torch.tensor([4.0, 2.0, 0.5, 0.01], dtype=torch.float64)
    assert torch.equal(truncation_factors(s, 0.5), torch.tensor([0.25, 0.5, 2.0, 0.0], dtype=torch.float64))
    assert torch.equal(truncation_factors(s, 0.0), 1 / s)
