"""Shared fixtures: the repository's course, and throwaway copies of it for grading tests."""

import copy
import shutil
from pathlib import Path

import pytest

from autograder.course import Course

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "autograder" / "nbgrader_config.py"


@pytest.fixture(scope="session")
def repo_course() -> Course:
    """The course exactly as committed (read it; never grade into it)."""
    return Course.load(CONFIG)


def copy_course(target: Path) -> Course:
    """Copy the course's sources, student versions and demo class to `target`; return it as a Course."""
    for folder in ("solutions", "notebooks", "autograder/demo_class"):
        shutil.copytree(REPO / folder, target / folder)
    config = copy.deepcopy(Course.load(CONFIG).config)
    config.CourseDirectory.root = str(target)
    config.CourseDirectory.db_url = f"sqlite:///{target / 'work' / 'gradebook.db'}"
    return Course(config)


@pytest.fixture(scope="session")
def course_copier():
    """The `copy_course` function, for fixtures with a wider scope than `course_copy`."""
    return copy_course


@pytest.fixture
def course_copy(tmp_path: Path) -> Course:
    """A private copy of the course in a temporary folder."""
    return copy_course(tmp_path / "course")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`--dist loadgroup`), keep each test file (and each notebook's cells) on one worker.

    nbval's cell items share one kernel per notebook, and module-scoped fixtures (a graded demo
    class) are expensive, so a file is the unit of work unless a test names its own xdist_group.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
