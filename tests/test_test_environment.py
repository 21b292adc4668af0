"""A grading test leaves the environment as the session started, so nbval's kernels for solutions/ see it."""

import os

BEFORE: dict[str, str] = {}


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}


def test_grading_changes_this_process_environment():
    from autograder.course import use_grading_environment

    BEFORE.update(_environment())
    os.environ["COURSE_DATA_DIR"] = "/somewhere/with/the/datasets"
    use_grading_environment()
    assert "COURSE_DATA_DIR" not in os.environ and os.environ["COURSE_OFFLINE"] == "1"


def test_the_next_test_starts_from_the_environment_before_it():
    """Runs after the test above (same module, so the same worker): nothing it set or unset is left."""
    assert BEFORE and _environment() == BEFORE
