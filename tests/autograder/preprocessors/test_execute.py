"""SandboxedExecute's checkpoint: a hung cell fails alone, up to `restarts` times; the lesson's opening runs once."""

import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading import GRADED, grade_submissions
from autograder.insights.collect import class_outcomes
from autograder.report import submission_scores
from autograder.sandbox import landlock
from tests.autograder.hostile.quiz import ANSWERS, build_quiz_course, submission

pytestmark = pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6,
                                reason="the grading sandbox needs Linux with Landlock ABI >= 6")
CONFIG = Path(__file__).resolve().parents[3] / "autograder" / "nbgrader_config.py"
HANGS = "def {name}(x):\n    while True:\n        pass"
STUDENTS = {
    "honest": dict(ANSWERS),
    "hangs-twice": {**ANSWERS, "ex1": HANGS.format(name="double"), "ex2": HANGS.format(name="mean_rows")},
    "edited-opening": dict(ANSWERS),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The quiz graded with one restart allowed, and again with three."""
    results = {}
    for restarts in (1, 3):
        root = tmp_path_factory.mktemp(f"restarts-{restarts}") / "course"
        course = build_quiz_course(root, CONFIG, cell_seconds=2, notebook_seconds=60)
        course.config.SandboxedExecute.restarts = restarts
        for student, answers in STUDENTS.items():
            folder = course.folder("submitted") / student / "quiz"
            folder.mkdir(parents=True)
            notebook = submission(course, answers)
            if student == "edited-opening":
                opening = next(cell for cell in notebook.cells if cell.cell_type == "code")
                opening.source += "\nprint('EDITED OPENING')"
            nbformat.write(notebook, folder / "quiz.ipynb")
        outcomes = grade_submissions(course, [(student, "quiz") for student in STUDENTS], progress=False, workers=2)
        assert [outcome.status for outcome in outcomes] == [GRADED] * len(STUDENTS)
        results[restarts] = (course, {outcome.student: outcome for outcome in outcomes})
    return results


def _scores(course) -> dict[str, float]:
    return submission_scores(course).set_index("student")["score"].to_dict()


def test_each_hung_exercise_costs_its_own_points_while_restarts_last(graded):
    course, outcomes = graded[3]
    assert _scores(course) == {"honest": 8, "hangs-twice": 2, "edited-opening": 8}  # ex3's 2 points still count
    ended = class_outcomes(course).set_index(["student", "exercise"])["outcome"]
    assert [ended[("hangs-twice", f"ex{n}-tests")] for n in (1, 2, 3)] == ["time-limit", "time-limit", "passed"]
    assert sum("restarted from the state before it" in note for note in outcomes["hangs-twice"].notes) == 2


def test_once_the_restarts_are_spent_the_remaining_tests_score_zero(graded):
    course, outcomes = graded[1]
    assert _scores(course) == {"honest": 8, "hangs-twice": 0, "edited-opening": 8}
    ended = class_outcomes(course).set_index(["student", "exercise"])["outcome"]
    assert [ended[("hangs-twice", f"ex{n}-tests")] for n in (1, 2, 3)] == ["time-limit", "time-limit", "not-run"]
    assert any("the remaining tests scored 0" in note for note in outcomes["hangs-twice"].notes)


def test_an_edited_lesson_cell_is_run_in_the_students_kernel_and_unedited_ones_show_the_lessons_output(graded):
    course, _ = graded[3]

    def opening_output(student: str) -> str:
        notebook = nbformat.read(course.folder("autograded") / student / "quiz" / "quiz.ipynb", as_version=4)
        cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
        return "".join(output.get("text", "") for output in cell.outputs)

    assert "EDITED OPENING" in opening_output("edited-opening")
    assert opening_output("honest") == ""  # the source notebook's stored outputs (none here), not a run's
