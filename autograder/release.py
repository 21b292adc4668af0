"""Release: generate the student versions of the source notebooks with nbgrader."""

import copy
import filecmp
import tempfile
from pathlib import Path

from autograder.course import Course


class ReleaseError(RuntimeError):
    """nbgrader could not generate a student version."""


def release(course: Course, assignments: list[str] | None = None) -> list[str]:
    """Generate the student version of each assignment (all by default); return the ids released."""
    api = course.api()
    released = []
    for assignment in assignments or course.assignments():
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise ReleaseError(f"generate_assignment {assignment} failed:\n{result.get('error', '')}"
                               f"\n{result.get('log', '')}")
        released.append(assignment)
    return released


def stale_notebooks(course: Course) -> list[str]:
    """Student notebooks that differ from a fresh generation (or are missing or extra); [] when current."""
    committed = course.folder("release")
    with tempfile.TemporaryDirectory() as scratch:
        config = copy.deepcopy(course.config)
        config.CourseDirectory.release_directory = str(Path(scratch) / "release")
        config.CourseDirectory.db_url = f"sqlite:///{Path(scratch) / 'gradebook.db'}"
        fresh_course = Course(config)
        release(fresh_course)
        fresh = fresh_course.folder("release")
        fresh_files, committed_files = _assignment_files(fresh), _assignment_files(committed)
        return sorted(
            str(name)
            for name in fresh_files | committed_files
            if name not in fresh_files & committed_files
            or not filecmp.cmp(fresh / name, committed / name, shallow=False)
        )


def _assignment_files(folder: Path) -> set[Path]:
    """Files inside the assignment sub-folders of `folder`, relative to it."""
    return {
        path.relative_to(folder)
        for path in folder.glob("*/**/*")
        if path.is_file() and ".ipynb_checkpoints" not in path.parts
    }
