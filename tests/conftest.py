"""Shared fixtures: the repository's course, and throwaway copies of it for grading tests."""

import os
from pathlib import Path

import pytest

from autograder.course import Course

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "autograder" / "nbgrader_config.py"
# Grading sets the grading environment in the grading process (no COURSE_DATA_DIR, COURSE_OFFLINE=1).
# nbval starts each notebook's kernel with this process's environment, and a hook in this file never
# runs for the notebooks in solutions/ (a conftest's hooks apply only below its folder), so every test
# here puts the starting environment back when it ends.
STARTING_ENVIRONMENT = dict(os.environ)


@pytest.fixture(autouse=True)
def starting_environment():
    """After each test, the environment the session started with, whatever the test (or grading) set."""
    yield
    for name in set(os.environ) - set(STARTING_ENVIRONMENT) - {"PYTEST_CURRENT_TEST"}:  # pytest's own
        del os.environ[name]
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

