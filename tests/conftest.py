"""Shared fixtures: the repository's course, and throwaway copies of it for grading tests."""

import os
from pathlib import Path

import pytest

from autograder.course import Course

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "autograder" / "nbgrader_config.py"
# Grading sets the grading environment in the grading process (no COURSE_DATA_DIR, COURSE_OFFLINE=1),
# so after a grading test this process's environment is no longer the one the session started with.
STARTING_ENVIRONMENT = dict(os.environ)


def pytest_runtest_setup(item):
    """Notebooks run under nbval with the session's starting environment, whichever tests ran before them."""
    if item.path.suffix == ".ipynb":
        os.environ.clear()
        os.environ.update(STARTING_ENVIRONMENT)


@pytest.fixture(scope="session")
def repo_course() -> Course:
    """The course exactly as committed (read it; never grade into it)."""
    return Course.load(CONFIG)


def copy_course(target: Path) -> Course:
    """Copy the course's sources, student versions and demo class to `target`; return it as a Course."""
    return Course.load(CONFIG).copy_to(target, extra=("autograder/demo_class",))


@pytest.fixture(scope="session")
def course_copier():
    """The `copy_course` function, for fixtures with a wider scope than `course_copy`."""
    return copy_course


@pytest.fixture
def course_copy(tmp_path: Path) -> Course:
    """A private copy of the course in a temporary folder."""
    return copy_course(tmp_path / "course")

