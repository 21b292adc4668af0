"""The stock `nbgrader` run from the repository root finds the course and writes only under work/."""

import copy
import os
import subprocess
import sys
from pathlib import Path

from autograder.course import Course
from autograder.roster import import_roster

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_nbgrader_from_the_root_sees_the_class_and_leaves_no_gradebook_there(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # a new gradebook runs `alembic`
    course = Course.load(REPO / "autograder" / "nbgrader_config.py")
    config = copy.deepcopy(course.config)
    gradebook = f"sqlite:///{tmp_path / 'gradebook.db'}"
    config.CourseDirectory.db_url = gradebook
    import_roster(Course(config), REPO / "autograder" / "demo_class" / "roster.csv")
    env = {**os.environ, "GRADEBOOK_URL": gradebook}
    result = subprocess.run([str(BIN / "nbgrader"), "db", "student", "list"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for student in ("ada", "ben", "cleo", "dev", "eve"):
        assert f"{student} (" in result.stdout, student
    assert not (REPO / "gradebook.db").exists()


def test_what_nbgrader_writes_goes_under_work():
    config = Course.load(REPO / "nbgrader_config.py").config
    work = REPO / "work"
    assert Path(config.ExportPlugin.to).parent == work
    assert config.ZipCollectApp.collect_directory_structure.startswith("work/downloaded/")
    assert Path(config.CourseDirectory.db_url.removeprefix("sqlite:///")).parent == work
