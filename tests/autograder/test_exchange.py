"""A class hands lesson 1 in through nbgrader's exchange, end to end, with the commands the README gives.

The instructor releases, collects, grades (`python -m autograder grade`) and releases feedback
with the course's CLI; each student has their own working folder and nbgrader cache and the
student configuration, against one exchange in a temporary folder. eve runs the stock `nbgrader`
commands in a process with her own HOME; ada and ben run the same nbgrader exchange steps in this
process (a command-line start costs seconds on a loaded machine). ada hands in a wrong answer and
then the right one, ben hands in his misconceptions, eve hands in after the due date, cleo is on
the roster and hands in nothing.
"""

import contextlib
import io
import os
import re
import stat
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit
from traitlets.config.loader import PyFileConfigLoader

from autograder.cli import main
from autograder.course import Course
from autograder.demo import answer_file_sources, fill_answers, solution_sources
from autograder.exchange import EXCHANGE_ROOT_MODE, init_exchange, may_hand_in_for

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STUDENT_CONFIG = REPO / "autograder" / "nbgrader_student_config.py"
LESSON, NOTEBOOK = "01-tensors", "tensors.ipynb"
COURSE_ID = "torch-foundations"
ROSTER_TOML = tomllib.loads((REPO / "autograder" / "demo_class" / "roster.toml").read_text())
EXPECTED = {s["id"]: s["expected"][LESSON] for s in ROSTER_TOML["student"] if s["id"] in ("ada", "ben", "eve")}
ROSTER = "id,first_name,last_name,email\nada,Ada,L,ada@example.org\nben,Ben,M,ben@example.org\n" \
         "cleo,Cleo,N,cleo@example.org\neve,Eve,O,eve@example.org\n"


class Class:
    """One course copy, one exchange, and a home folder per student."""

    def __init__(self, root: Path, course_copier) -> None:
        self.course = course_copier(root / "course").root
        self.config = self.course / "nbgrader_config.py"
        self.config.write_text(
            f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})\n"
            "c = get_config()\n"
            f"c.CourseDirectory.root = {str(self.course)!r}\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{self.course / 'work' / 'gradebook.db'}'\n")
        self.exchange = root / "exchange"
        self.homes = root / "home"

    def instructor(self, *arguments: str) -> str:
        """A `python -m autograder` command on the course; what it printed."""
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            status = main(["--config", str(self.config), *arguments])
        assert status == 0, f"{arguments} failed:\n{printed.getvalue()}"
        return printed.getvalue()

    def home(self, student: str) -> Path:
        """A student's home and working folder, with the student configuration a course server gives."""
        home = self.homes / student
        if not home.is_dir():
            (home / ".jupyter").mkdir(parents=True)
            (home / ".jupyter" / "nbgrader_config.py").write_text(f"load_subconfig({str(STUDENT_CONFIG)!r})\n")
        return home

    def student_cli(self, student: str, *command: str, claiming: str | None = None) -> str:
        """A stock nbgrader command run by `student` (claiming to be another) in a process of their own, at home."""
        home = self.home(student)
        env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER_")}
        env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{env['PATH']}")
        result = subprocess.run([str(BIN / "nbgrader"), *command, f"--student={claiming or student}"],
                                cwd=home, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{student}: nbgrader {' '.join(command)} failed:\n{result.stderr}"
        return result.stdout + result.stderr

    def student_step(self, student: str, step: type) -> None:
        """One of nbgrader's exchange steps as `student`'s nbgrader runs it: their config, folder and cache."""
        home = self.home(student)
        config = PyFileConfigLoader(STUDENT_CONFIG.name, path=str(STUDENT_CONFIG.parent)).load_config()
        config.Exchange.assignment_dir = str(home)
        config.Exchange.cache = str(home / ".local" / "share" / "jupyter" / "nbgrader_cache")
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id, coursedir.student_id = LESSON, student
        step(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()

    def answer(self, student: str, answers: dict[str, str]) -> None:
        """Write answers into the student's fetched copy of lesson 1."""
        fetched = self.home(student) / LESSON / NOTEBOOK
        nbformat.write(fill_answers(fetched, answers), fetched)


@pytest.fixture(scope="module")
def semester(tmp_path_factory, course_copier):
    """The whole cycle for lesson 1, run once; returns the class and what the commands printed."""
    cls = Class(tmp_path_factory.mktemp("exchange"), course_copier)
    saved = dict(os.environ)
    os.environ["COURSE_EXCHANGE_ROOT"] = str(cls.exchange)  # the instructor's and every student's
    try:
        yield cls, _run_semester(cls)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run_semester(cls: Class) -> dict[str, str]:
    printed = {}
    (cls.course / "roster.csv").write_text(ROSTER)
    cls.instructor("roster", "import", str(cls.course / "roster.csv"))
    printed["release"] = cls.instructor("exchange", "release", LESSON)
    right = solution_sources(cls.course / "solutions" / LESSON / NOTEBOOK)
    ben = answer_file_sources(cls.course / "autograder" / "demo_class" / LESSON / "ben.py")
    eve = answer_file_sources(cls.course / "autograder" / "demo_class" / LESSON / "eve.py")
    printed["list eve"] = cls.student_cli("eve", "list")
    cls.student_cli("eve", "fetch_assignment", LESSON)
    for student in ("ada", "ben"):
        cls.student_step(student, ExchangeFetchAssignment)
    cls.answer("ada", ben)
    cls.student_step("ada", ExchangeSubmit)
    cls.answer("ada", right)
    cls.student_step("ada", ExchangeSubmit)  # a resubmission: the latest counts
    cls.answer("ben", ben)
    cls.student_step("ben", ExchangeSubmit)
    with Gradebook(Course.load(cls.config).coursedir.db_url) as gradebook:
        gradebook.update_or_create_assignment(LESSON, duedate=datetime.now(UTC).replace(tzinfo=None))
    cls.answer("eve", eve)
    cls.student_cli("eve", "submit", LESSON)
    printed["collect"] = cls.instructor("exchange", "collect", LESSON)
    printed["grade"] = cls.instructor("grade", LESSON, "--workers", "2", "--no-progress")
    printed["feedback"] = cls.instructor("exchange", "feedback", LESSON)
    printed["fetch eve"] = cls.student_cli("eve", "fetch_feedback", LESSON)
    for student in ("ada", "ben"):
        cls.student_step(student, ExchangeFetchFeedback)
    printed["ada fetches ben's"] = cls.student_cli("ada", "fetch_feedback", LESSON, claiming="ben")
    return printed


def _feedback(cls: Class, student: str) -> list[Path]:
    return sorted((cls.home(student) / LESSON / "feedback").glob("*/*.html"))


def test_the_exchange_root_is_world_writable_with_the_sticky_bit(semester):
    cls, printed = semester
    assert f"created the exchange {cls.exchange}" in printed["release"]
    assert stat.S_IMODE(cls.exchange.stat().st_mode) == EXCHANGE_ROOT_MODE
    inbound = cls.exchange / COURSE_ID / "inbound"
    assert stat.S_IMODE(inbound.stat().st_mode) & 0o007 == 0o003, "students may write but not list the inbound"
    assert stat.S_IMODE((cls.exchange / COURSE_ID / "feedback").stat().st_mode) & 0o007 == 0o001


def test_a_student_sees_the_released_lesson(semester):
    _, printed = semester
    assert re.search(rf"{COURSE_ID} {LESSON}", printed["list eve"]), printed["list eve"]


def test_collect_keeps_the_latest_submission_and_names_who_is_late_or_missing(semester):
    cls, printed = semester
    assert f"{LESSON}: 3 submissions collected from the exchange (ada, ben, eve)" in printed["collect"]
    assert "already in submitted/" not in printed["collect"] and "not on the roster" not in printed["collect"]
    assert re.search(rf"{LESSON}: eve late: .* after the deadline", printed["collect"])
    assert not re.search(r"(ada|ben) late", printed["collect"])
    assert f"{LESSON}: missing (on the roster, nothing handed in): cleo" in printed["collect"]
    handed_in = [path.name.split("+")[0] for path in (cls.exchange / COURSE_ID / "inbound").iterdir()]
    assert sorted(handed_in) == ["ada", "ada", "ben", "eve"], "the exchange keeps every hand-in"


def test_scores_come_from_the_latest_submission_and_cleo_is_missing(semester):
    cls, _ = semester
    grades = pd.read_csv(cls.course / "work" / "grades.csv").set_index("student")
    for student, score in EXPECTED.items():
        assert (grades.loc[student, "score"], grades.loc[student, "status"]) == (score, "graded"), student
    assert grades.loc["cleo", "status"] == "missing"


def test_each_student_fetches_only_their_own_feedback(semester):
    cls, printed = semester
    for student, score in EXPECTED.items():
        files = _feedback(cls, student)
        assert [path.name for path in files] == ["tensors.html"], student
        full = EXPECTED["ada"]  # ada's final hand-in is the solutions
        assert re.search(rf"Score:\s*{score:g}(\.0)?\s*/\s*{full:g}(\.0)?\b", files[0].read_text()), student
    released = list((cls.exchange / COURSE_ID / "feedback").glob("*.html"))
    assert len(released) == 3
    assert "feedback released for ada" in printed["feedback"]


def test_a_student_cannot_fetch_someone_elses_feedback(semester):
    cls, printed = semester
    # Feedback is found by the submission's secret, which only the student's own cache holds:
    # asking for ben's feedback as ada brings back ada's own again, never ben's.
    fetched = _feedback(cls, "ada")
    assert len(fetched) == 1 and f"Score: {EXPECTED['ada']:g}" in re.sub(r"\s+", " ", fetched[0].read_text())
    assert "Fetched feedback" in printed["ada fetches ben's"]


def test_students_leave_no_gradebook_and_the_instructor_none_outside_work(semester):
    cls, _ = semester
    for student in EXPECTED:
        assert not list(cls.home(student).glob("**/gradebook.db")), student
    assert [p.relative_to(cls.course) for p in cls.course.glob("**/gradebook.db")] == [Path("work/gradebook.db")]


def test_init_refuses_a_file_in_the_way(tmp_path):
    blocker = tmp_path / "exchange"
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match="exists and is not a folder"):
        init_exchange(blocker)
    assert blocker.read_text() == "not a folder"


def test_collect_and_feedback_refuse_what_is_not_from_the_exchange_and_keep_it(tmp_path, course_copier, monkeypatch):
    cls = Class(tmp_path, course_copier)
    monkeypatch.setenv("COURSE_EXCHANGE_ROOT", str(cls.exchange))
    cls.instructor("exchange", "release", LESSON)
    cls.student_step("ada", ExchangeFetchAssignment)
    cls.answer("ada", {"ex1-broadcast-shape": "# ada's own\n"})
    cls.student_step("ada", ExchangeSubmit)
    inbound = cls.exchange / COURSE_ID / "inbound"
    later = "2099-01-01 00:00:00.000000 UTC"
    junk = {f"zed+{LESSON}+not a time+r1": "its time is not nbgrader's",
            f"..+{LESSON}+{later}+r2": "not a student id",
            f"ada+{LESSON}+{later}+r3": "not a folder"}
    for name, reason in junk.items():
        if reason == "not a folder":
            (inbound / name).write_text("not a hand-in")
        else:
            (inbound / name).mkdir()
    if os.getuid() == 0:  # another Unix user's hand-in claiming to be ada's, newer than hers
        impostor = inbound / f"ada+{LESSON}+{later}+r4"
        impostor.mkdir()
        os.chown(impostor, 54321, 54321)
        junk[impostor.name] = "handed in by the Unix user 54321, not by ada"
    # cleo's notebook came from an LMS zip; the roster names only her, so ada's id is questioned.
    (cls.course / "roster.csv").write_text("id,first_name,last_name,email\ncleo,Cleo,N,cleo@example.org\n")
    cls.instructor("roster", "import", str(cls.course / "roster.csv"))
    from_lms = cls.course / "work" / "submitted" / "cleo" / LESSON
    from_lms.mkdir(parents=True)
    (from_lms / NOTEBOOK).write_text("{}")
    printed = cls.instructor("exchange", "collect", LESSON)
    assert f"{LESSON}: 1 submissions collected from the exchange (ada)" in printed
    assert f"{LESSON}: already in submitted/, not from the exchange now (an LMS zip-collect, an earlier collect): " \
           "cleo" in printed
    assert f"{LESSON}: handed in but not on the roster: ada: check the id" in printed
    for name, reason in junk.items():
        assert f"{LESSON}: not collected: inbound/{name}: {reason}" in printed, name
        assert (inbound / name).exists(), f"{name} is left in the inbound"
    assert "# ada's own" in (cls.course / "work" / "submitted" / "ada" / LESSON / NOTEBOOK).read_text()
    # Feedback of a submission that did not come through the exchange (an LMS download) has no
    # secret to hand it back by: it is named, and the release goes on.
    lms_feedback = cls.course / "work" / "feedback" / "dev" / LESSON
    lms_feedback.mkdir(parents=True)
    (lms_feedback / "tensors.html").write_text("<p>Score: 4</p>")
    printed = cls.instructor("exchange", "feedback", LESSON)
    assert f"{LESSON}: dev did not hand in through the exchange: send {lms_feedback}/*.html another way" in printed
    assert not list((cls.exchange / COURSE_ID).glob("feedback/*.html"))


def test_a_hand_in_comes_from_the_students_own_account_or_the_collectors():
    """Plain and The Littlest JupyterHub's account names are accepted; another student's is not."""
    assert may_hand_in_for("ada", "ada", "teacher")
    assert may_hand_in_for("jupyter-ada", "ada", "teacher")
    assert may_hand_in_for("teacher", "ada", "teacher")
    assert not may_hand_in_for("ben", "ada", "teacher")
    assert not may_hand_in_for("jupyter-ben", "ada", "teacher")
