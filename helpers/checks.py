"""Checks that visible test cells call: each failure names the mistake and the fix in plain words."""

from collections.abc import Sequence
from typing import Any

import torch


class CheckFailed(AssertionError):
    """An answer failed a check; the message says what is wrong and how to fix it.

    `mistake` is a short stable id of the misconception the check caught (e.g. "missing-keepdim"),
    given by the lesson author so that reports can count how often each mistake was made.
    """

    def __init__(self, message: str, mistake: str | None = None) -> None:
        super().__init__(message)
        self.mistake = mistake


def expect(condition: bool, message: str, *, mistake: str | None = None) -> None:
    """Raise `CheckFailed(message, mistake)` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message, mistake)


def run_answer(function: Any, *args: Any, name: str, hint: str = "", mistake: str | None = None,
               **kwargs: Any) -> Any:
    """Call a student's `function`; an exception it raises becomes a one-line `CheckFailed` naming it.

    `NotImplementedError` and `CheckFailed` pass through unchanged (they already read well).
    """
    try:
        return function(*args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as error:  # the student's code failed: say how, in one line, not a traceback
        detail = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else ""
        raise CheckFailed(f"{name} raised {type(error).__name__}{': ' + detail if detail else ''}. {hint}".strip(),
                          mistake) from None


def format_shape(shape: Sequence[int]) -> str:
    """Write a shape the way the course does: `[4, 1]`."""
    return "[" + ", ".join(str(int(size)) for size in shape) + "]"


def _type_names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def check_type(value: Any, expected: type | tuple[type, ...], name: str, hint: str = "",
               *, mistake: str | None = None) -> None:
    """Check that `value` is an instance of `expected`."""
    expect(
        isinstance(value, expected),
        f"{name} is a {type(value).__name__}; expected a {_type_names(expected)}. {hint}".strip(),
        mistake=mistake,
    )


def check_shape(value: Any, expected: Sequence[int], name: str, hint: str = "",
                *, mistake: str | None = None) -> None:
    """Check that `value` has a `.shape` equal to `expected`."""
    expect(hasattr(value, "shape"), f"{name} is a {type(value).__name__}, not a tensor. {hint}".strip(),
           mistake=mistake)
    actual = tuple(value.shape)
    expect(
        actual == tuple(expected),
        f"{name} has shape {format_shape(actual)}; expected {format_shape(expected)}. {hint}".strip(),
        mistake=mistake,
    )


def check_close(
    actual: Any,
    expected: Any,
    name: str,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str = "",
    mistake: str | None = None,
) -> None:
    """Check that `actual` (number, list of numbers or tensor) matches `expected` in shape and values."""
    expected_t = torch.as_tensor(expected, dtype=torch.float64)
    expect(
        isinstance(actual, int | float | torch.Tensor | list | tuple) and not isinstance(actual, bool),
        f"{name} is a {type(actual).__name__}; expected a number or a tensor. {hint}".strip(),
        mistake=mistake,
    )
    try:
        # Python numbers are read in float64: float32 would round them before an atol below 1e-7 applies.
        actual_t = actual.detach() if isinstance(actual, torch.Tensor) else torch.as_tensor(actual, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{name} cannot be read as numbers: {actual!r:.80}. {hint}".strip(), mistake) from None
    check_shape(actual_t, expected_t.shape, name, hint, mistake=mistake)
    actual_t = actual_t.to(device="cpu", dtype=torch.float64)
    if torch.allclose(actual_t, expected_t, atol=atol, rtol=rtol, equal_nan=False):
        return
    gap = (actual_t - expected_t).abs().nan_to_num(nan=float("inf"))
    worst = int(gap.argmax()) if gap.ndim else 0
    where = ""
    if gap.ndim:
        where = f" at index {[int(i) for i in torch.unravel_index(torch.tensor(worst), gap.shape)]}"
    got = actual_t.flatten()[worst].item() if gap.ndim else actual_t.item()
    want = expected_t.flatten()[worst].item() if gap.ndim else expected_t.item()
    raise CheckFailed(f"{name} is {got:.6g}{where}; expected {want:.6g}. {hint}".strip(), mistake)


def passed(exercise: str) -> None:
    """Tell the student that the visible checks of `exercise` passed, and that more run at grading."""
    print(f"✓ {exercise}: the visible checks pass. Hidden tests also run when your notebook is graded.")
