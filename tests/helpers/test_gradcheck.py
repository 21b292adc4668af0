import torch

from helpers.gradcheck import gradient_check, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function():
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda t: (t**2).sum() + t[0, 1] * t[1, 0], x)
    expected = 2 * x.double() + torch.tensor([[0.0, 0.5], [-2.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(grad, expected, atol=1e-7)
    assert x.dtype == torch.float32  # the input is not modified or converted in place


def test_gradient_check_separates_right_from_wrong():
    x = torch.randn(6, dtype=torch.float64)
    assert gradient_check(lambda t: torch.sin(t).sum(), x, torch.cos(x)) < 1e-8
    assert gradient_check(lambda t: torch.sin(t).sum(), x, -torch.cos(x)) > 0.5


def test_relative_error_is_scale_free_and_safe_at_zero():
    a = torch.tensor([1e6, 2e6])
    assert relative_error(a, a * (1 + 1e-9)) < 1e-8
    assert relative_error(torch.zeros(3), torch.zeros(3)) == 0.0
