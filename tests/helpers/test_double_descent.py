import math

import pytest
import torch

from helpers.double_descent import corrupt_labels, sample_sweep, spectral_fits, width_sweep


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
