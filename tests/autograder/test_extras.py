"""Installs that fit each user: the grader names its missing extra in one line; a student's config needs none."""

import subprocess
import sys
from pathlib import Path

from autograder import extras

REPO = Path(__file__).resolve().parents[2]
# A student install, simulated: the grader extra's modules cannot be imported.
WITHOUT_GRADER = "import sys\nfor name in ('nh3', 'distributed', 'psycopg'):\n    sys.modules[name] = None\n"


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_GRADER + code], cwd=REPO, capture_output=True, text=True,
                          env={"PATH": str(Path(sys.executable).parent), **env}, timeout=120)


def test_the_grader_installed_here_has_its_extra():
    assert extras.missing_grader_packages() == []
    assert extras.grader_missing_message() is None


def test_without_its_extra_the_grader_says_how_to_install_it_in_one_line():
    result = _python("from autograder.cli import main\nraise SystemExit(main(['report']))")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("the grader needs its extra (nh3, distributed, psycopg[binary] missing): run "
                                     "`pip install -e '.[grader]'` in the course folder (or `make venv`)")


def test_without_the_grader_the_root_config_is_the_students():
    result = _python(
        "from traitlets.config.loader import PyFileConfigLoader\n"
        "from nbgrader.validator import Validator\n"
        "config = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
        "print(config.CourseDirectory.course_id, config.Exchange.root, 'root' in config.CourseDirectory)\n"
        "print(config.CourseDirectory.db_url)\n"
        "print([step.__name__ for step in Validator.class_traits()['preprocessors'].default_args[0]])\n",
        COURSE_EXCHANGE_ROOT="/srv/exchange")
    assert result.returncode == 0, result.stderr
    identity, gradebook, steps = result.stdout.splitlines()
    assert identity == "torch-foundations /srv/exchange False"
    assert gradebook == f"sqlite:///{REPO / 'work' / 'gradebook.db'}", "a student's Formgrader writes under work/"
    assert "DropWarningOutput" in steps, "Validate applies grading's warning rule in a student install too"
