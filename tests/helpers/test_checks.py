import pytest
import torch

from helpers.checks import (
    CheckFailed,
    check_close,
    check_shape,
    check_type,
    expect,
    format_shape,
    passed,
    run_answer,
)


def test_expect_raises_with_the_message():
    expect(True, "unused")
    with pytest.raises(CheckFailed, match=r"^the message$"):
        expect(False, "the message")


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)


def test_format_shape():
    assert format_shape(torch.Size([4, 1])) == "[4, 1]"
    assert format_shape(()) == "[]"


def test_check_type_names_both_types():
    check_type([1], list, "x")
    with pytest.raises(CheckFailed, match=r"^x is a Tensor; expected a float or int\. hint$"):
        check_type(torch.tensor(1.0), (float, int), "x", "hint")


def test_check_shape_reports_actual_and_expected():
    check_shape(torch.zeros(4, 1), (4, 1), "y")
    with pytest.raises(CheckFailed, match=r"^y has shape \[4, 4\]; expected \[4, 1\]\. use keepdim$"):
        check_shape(torch.zeros(4, 4), (4, 1), "y", "use keepdim")
    with pytest.raises(CheckFailed, match="y is a list, not a tensor"):
        check_shape([1, 2], (2,), "y")


def test_check_close_accepts_within_tolerance_and_dtypes():
    check_close(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-8], "v")
    check_close(3, 3.0, "n")
    check_close(torch.tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0], "v")


def test_check_close_points_at_the_worst_entry():
    actual = torch.tensor([[1.0, 2.0], [3.0, 9.0]])
    with pytest.raises(CheckFailed, match=r"^m is 9 at index \[1, 1\]; expected 4\. fix it$"):
        check_close(actual, [[1.0, 2.0], [3.0, 4.0]], "m", hint="fix it")


def test_check_close_rejects_nan_wrong_shape_and_wrong_type():
    with pytest.raises(CheckFailed, match="is nan"):
        check_close(torch.tensor([float("nan")]), [1.0], "v")
    with pytest.raises(CheckFailed, match=r"has shape \[2\]; expected \[2, 1\]"):
        check_close(torch.zeros(2), torch.zeros(2, 1), "v")
    with pytest.raises(CheckFailed, match="is a str"):
        check_close("1.0", 1.0, "v")
    with pytest.raises(CheckFailed, match="cannot be read as numbers"):
        check_close([1.0, "x"], [1.0, 2.0], "v")


def test_check_close_accepts_lists_of_numbers():
    check_close([1.05, 2.1], torch.tensor([1.05, 2.1]), "grads")
    with pytest.raises(CheckFailed, match=r"grads is 2 at index \[1\]; expected 2\.1"):
        check_close([1.05, 2.0], [1.05, 2.1], "grads")


def test_passed_mentions_hidden_tests(capsys):
    passed("Exercise 9")
    out = capsys.readouterr()
    assert out.out.startswith("✓ Exercise 9: the visible checks pass.")
    assert "Hidden tests" in out.out
    assert out.err == ""


def test_mistake_ids_travel_with_the_failure():
    with pytest.raises(CheckFailed) as caught:
        expect(False, "wrong", mistake="missing-keepdim")
    assert caught.value.mistake == "missing-keepdim"
    with pytest.raises(CheckFailed) as caught:
        check_close(torch.tensor([1.0]), [2.0], "x", mistake="off-by-one")
    assert caught.value.mistake == "off-by-one"


def test_run_answer_turns_a_crash_into_one_line():
    def broken(x):
        return x @ torch.ones(3)

    with pytest.raises(CheckFailed) as caught:
        run_answer(broken, torch.ones(2, 2), name="broken(x)", hint="Check the shapes.", mistake="shape")
    assert str(caught.value).startswith("broken(x) raised RuntimeError: ")
    assert str(caught.value).endswith("Check the shapes.") and caught.value.mistake == "shape"
    assert run_answer(lambda x: x + 1, 1, name="f") == 2
    with pytest.raises(NotImplementedError):
        run_answer(lambda: (_ for _ in ()).throw(NotImplementedError()), name="blank")


def test_python_numbers_are_compared_in_double_precision():
    check_close(0.150062963203125, 0.150062963203125, "loss", atol=1e-12, rtol=0)
    with pytest.raises(CheckFailed):
        check_close(0.1500625, 0.150062963203125, "loss", atol=1e-9, rtol=0)


def test_run_answer_does_not_double_the_full_stop():
    def broken():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    with pytest.raises(CheckFailed) as caught:
        run_answer(broken, name="f()", hint="Update under torch.no_grad().")
    assert "operation. Update" in str(caught.value) and ".." not in str(caught.value)
