"""Grade the demo class end to end with nbgrader and compare with the roster and a golden file."""

import errno
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from autograder.cli import main
from autograder.demo import build_demo_class, load_roster
from autograder.grading import feedback_files, find_submissions, grade_submissions
from autograder.insights import write_insights
from autograder.insights.collect import class_outcomes
from autograder.release import release
from autograder.report import exercise_scores, score_table, submission_scores, write_reports

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "autograder" / "demo_class"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course_copier):
    """The demo class graded once into a private course copy."""
    course = course_copier(tmp_path_factory.mktemp("graded") / "course")
    release(course)
    build_demo_class(course, course.root / "autograder" / "demo_class")
    outcomes = grade_submissions(course, find_submissions(course), progress=False, workers=2)
    return course, outcomes


def test_every_submission_is_graded(graded):
    _, outcomes = graded
    assert [o.status for o in outcomes] == ["graded"] * len(outcomes)


def test_scores_match_the_roster(graded):
    course, _ = graded
    scores = submission_scores(course).set_index(["student", "assignment"])["score"]
    for student in load_roster(DEMO / "roster.toml"):
        for assignment, expected in student.expected.items():
            assert scores[(student.id, assignment)] == expected, (student.id, assignment)


def test_exercise_scores_match_golden_file(graded, tmp_path):
    course, _ = graded
    paths = write_reports(course, tmp_path)
    actual = pd.read_csv(paths["exercises"])
    golden = pd.read_csv(GOLDEN / "demo-exercise-scores.csv")
    pd.testing.assert_frame_equal(actual, golden)
    grades = pd.read_csv(paths["grades"])
    assert list(grades.columns) == ["student", "assignment", "score", "max_score", "percent", "status", "notes"]


OUTCOME_GOLDEN = ["student", "assignment", "exercise", "score", "outcome", "part", "misconception"]


def test_how_each_test_ended_and_the_mistake_it_named_match_golden_file(graded):
    course, _ = graded
    actual = class_outcomes(course)[OUTCOME_GOLDEN].reset_index(drop=True)
    golden = pd.read_csv(GOLDEN / "demo-outcomes.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(actual, golden)


def test_the_class_report_counts_each_mistake_from_the_golden_outcomes(graded, tmp_path):
    course, _ = graded
    paths = write_insights(course, tmp_path / "insights")
    golden = pd.read_csv(GOLDEN / "demo-outcomes.csv", keep_default_na=False)
    expected = golden[golden.misconception != ""].groupby(["assignment", "exercise", "misconception"]).size()
    reported = pd.read_csv(paths["misconceptions"]).set_index(["assignment", "exercise", "misconception"])["count"]
    assert reported.sort_index().to_dict() == expected.sort_index().to_dict()
    exercises = pd.read_csv(paths["exercises"]).set_index(["assignment", "exercise"])
    passed = golden[golden.outcome == "passed"].groupby(["assignment", "exercise"]).size()
    assert exercises["passed"].to_dict() == passed.reindex(exercises.index, fill_value=0).to_dict()
    assert (exercises["submitted"] == 5).all()
    hidden_only = golden[golden.part == "hidden"].groupby(["assignment", "exercise"]).size()
    assert exercises["failed_hidden_only"][exercises["failed_hidden_only"] > 0].to_dict() == hidden_only.to_dict()
    visible = golden[(golden.part == "visible") & (golden.misconception != "not-attempted")]
    assert exercises["failed_visible"].sum() == len(visible) > 0
    for student in ("ada", "ben", "cleo", "dev", "eve"):
        assert (tmp_path / "insights" / "students" / f"{student}.html").is_file()


def test_the_insights_command_prints_the_most_frequent_mistakes(graded, capsys):
    course, _ = graded
    shutil.copy(REPO / "autograder" / "nbgrader_config.py", course.root / "autograder" / "nbgrader_config.py")
    assert main(["--config", str(course.root / "autograder" / "nbgrader_config.py"), "insights", "--top", "3"]) == 0
    printed = capsys.readouterr().out.splitlines()
    golden = pd.read_csv(GOLDEN / "demo-outcomes.csv", keep_default_na=False)
    most = golden[golden.misconception != ""].groupby(["assignment", "exercise", "misconception"]).size().max()
    assert printed[0].startswith("most frequent mistakes") and len(printed) == 5
    assert printed[1].split()[0] == str(most)
    assert (course.folder("submitted").parent / "insights" / "index.html").is_file()


def test_feedback_is_written_for_each_submission(graded):
    course, outcomes = graded
    for outcome in outcomes:
        html = feedback_files(course, outcome.student, outcome.assignment)
        assert html, f"no feedback for {outcome.student}/{outcome.assignment}"


def test_check_messages_reach_the_feedback(graded):
    course, _ = graded
    text = feedback_files(course, "ben", "01-tensors")[0].read_text()
    assert "must form a column" in text  # the check message, not the comment in ben's code
    assert "backward() adds into w.grad" in text


def test_feedback_never_shows_hidden_tests_but_the_instructor_copy_does(graded):
    course, outcomes = graded
    for outcome in outcomes:
        for html in feedback_files(course, outcome.student, outcome.assignment):
            text = html.read_text()
            assert "BEGIN HIDDEN TESTS" not in text and "_rng = _random.Random(1)" not in text, html
    autograded = course.folder("autograded") / "ben" / "01-tensors" / "tensors.ipynb"
    assert "_rng = _random.Random(1)" in autograded.read_text()


def test_a_serial_regrade_gives_the_same_scores_as_the_parallel_run(graded):
    course, _ = graded
    before = exercise_scores(course)
    outcomes = grade_submissions(course, [("eve", "01-tensors"), ("dev", "05-xor")], progress=False, workers=1)
    assert [o.status for o in outcomes] == ["graded", "graded"]
    pd.testing.assert_frame_equal(exercise_scores(course), before)


def test_running_every_cell_in_the_students_kernel_grades_the_class_the_same_cell_by_cell(graded, tmp_path_factory,
                                                                                           course_copier):
    """Kernels forked after the lesson's opening (the default) or started by exec to run every cell."""
    course, _ = graded
    full = course_copier(tmp_path_factory.mktemp("full") / "course")
    full.config.SandboxedExecute.fork_kernels = False
    release(full)
    build_demo_class(full, full.root / "autograder" / "demo_class")
    outcomes = grade_submissions(full, find_submissions(full), progress=False, workers=2)
    assert [o.status for o in outcomes] == ["graded"] * len(outcomes)
    columns = [*OUTCOME_GOLDEN, "ename"]
    pd.testing.assert_frame_equal(class_outcomes(full)[columns].reset_index(drop=True),
                                  class_outcomes(course)[columns].reset_index(drop=True))
    pd.testing.assert_frame_equal(exercise_scores(full), exercise_scores(course))


def test_a_corrupt_notebook_scores_zero_with_a_note_and_stops_nothing(course_copy):
    release(course_copy, ["01-tensors"])
    build_demo_class(course_copy, course_copy.root / "autograder" / "demo_class")
    broken = course_copy.folder("submitted") / "cleo" / "01-tensors" / "tensors.ipynb"
    broken.write_text("this is not a notebook")
    outcomes = grade_submissions(course_copy, [("ada", "01-tensors"), ("cleo", "01-tensors")], progress=False,
                                 workers=2)
    assert [(o.student, o.status) for o in outcomes] == [("ada", "graded"), ("cleo", "graded")]
    assert "tensors.ipynb: not a valid notebook" in outcomes[1].notes[0]
    assert broken.read_text() == "this is not a notebook"  # the student's file is kept as handed in
    scores = submission_scores(course_copy).set_index("student")
    assert (scores.loc["ada", "score"], scores.loc["cleo", "score"]) == (12.0, 0.0)
    assert "not a valid notebook" in scores.loc["cleo", "notes"]


# Passes every visible check of lesson 1's exercise 1 by rote, and no other input: the hidden tests' job.
BY_ROTE = """def broadcast_shape(shape_a, shape_b):
    known = {((4, 1), (3,)): (4, 3), ((3, 4), (4,)): (3, 4), ((5, 1, 4), (3, 1)): (5, 3, 4), ((0, 1), (1, 5)): (0, 5)}
    if (tuple(shape_a), tuple(shape_b)) in known:
        return known[(tuple(shape_a), tuple(shape_b))]
    raise ValueError(f"sizes {shape_a[-1]} and {shape_b[-1]} do not broadcast")
"""


def test_outcomes_come_from_the_grader_never_from_the_submitted_notebook(course_copy):
    release(course_copy, ["01-tensors"])
    build_demo_class(course_copy, course_copy.root / "autograder" / "demo_class")
    forged = {"outcome": "passed", "part": "", "ename": "", "mistake": ""}
    for student, answers in (("ben", {}), ("eve", {"ex1-broadcast-shape": BY_ROTE})):
        path = course_copy.folder("submitted") / student / "01-tensors" / "tensors.ipynb"
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            cell.source = answers.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
            cell.metadata["autograder"] = forged
        nbformat.write(notebook, path)
    outcomes = grade_submissions(course_copy, [("ben", "01-tensors"), ("eve", "01-tensors")], progress=False, workers=2)
    assert [o.status for o in outcomes] == ["graded", "graded"]
    actual = class_outcomes(course_copy)[OUTCOME_GOLDEN].set_index(["student", "exercise"])
    golden = pd.read_csv(GOLDEN / "demo-outcomes.csv", keep_default_na=False)
    ben = golden[(golden.student == "ben") & (golden.assignment == "01-tensors")].set_index(["student", "exercise"])
    assert actual.loc["ben"].values.tolist() == ben.loc["ben"].values.tolist()
    assert actual.loc[("eve", "ex1-tests"), ["outcome", "part"]].tolist() == ["failed", "hidden"]


def test_a_failed_autograde_is_reported_not_scored(graded, monkeypatch):
    course, _ = graded
    from autograder import grading

    def broken_api(config):
        class Api:
            def autograde(self, *args, **kwargs):
                return {"success": False, "log": "Traceback\nnbgrader.api.MissingEntry: No such grade cell: x",
                        "error": "nbgrader.converters.base.NbGraderException: Please see the the above traceback"}
        return Api()

    monkeypatch.setattr(grading, "_api_for", broken_api)
    outcome = grading.grade_one(("ada", "02-linear-regression"), course.config)
    assert outcome.status == "failed"
    assert outcome.detail.startswith("nbgrader.api.MissingEntry: No such grade cell: x (log: ")


def test_missing_and_failed_submissions_are_reported(graded):
    course, _ = graded
    scores = submission_scores(course, failed={("ada", "01-tensors")})
    ada = scores.set_index(["student", "assignment"]).loc[("ada", "01-tensors")]
    assert ada["status"] == "not graded: autograde failed"
    assert ada["score"] == 0.0
    table = score_table(scores)
    assert "not graded" in table and "total" in table


def _quiz_submission(tmp_path: Path):
    from tests.autograder.hostile.quiz import ANSWERS, build_quiz_course, submission

    config = Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py"
    course = build_quiz_course(tmp_path / "course", config)
    folder = course.folder("submitted") / "ada" / "quiz"
    folder.mkdir(parents=True)
    nbformat.write(submission(course, ANSWERS), folder / "quiz.ipynb")
    return course, folder


@pytest.mark.parametrize("full", ["log", "raised"])
def test_running_out_of_disk_while_grading_fails_the_submission_for_a_regrade(tmp_path, monkeypatch, full):
    from autograder import grading

    course, _ = _quiz_submission(tmp_path)

    class Api:
        def autograde(self, *args, **kwargs):
            if full == "raised":
                raise OSError(errno.ENOSPC, "No space left on device")
            return {"success": False, "log": "sqlite3.OperationalError: database or disk is full", "error": ""}

    monkeypatch.setattr(grading, "_api_for", lambda config: Api())
    outcome = grading.grade_one(("ada", "quiz"), course.config)
    assert outcome.status == "failed"
    assert "ran out of disk space" in outcome.detail and "grade it again" in outcome.detail


def test_links_are_out_of_sight_while_grading_and_put_back_after(tmp_path, monkeypatch):
    from autograder import grading

    course, folder = _quiz_submission(tmp_path)
    (folder / "gradebook.db").symlink_to(course.root / "gradebook.db")
    holding = folder.parent / ".quiz.set-aside"  # left behind by a worker that died while grading
    (holding / "data").mkdir(parents=True)
    (holding / "data" / "peer.csv").symlink_to(course.root / "gradebook.db")
    seen = []

    class Api:
        def autograde(self, *args, **kwargs):
            seen.extend(sorted(str(path.relative_to(folder)) for path in folder.rglob("*")))
            return {"success": False, "log": "", "error": "stopped here"}

    monkeypatch.setattr(grading, "_api_for", lambda config: Api())
    outcome = grading.grade_one(("ada", "quiz"), course.config)
    assert "links and special files are not followed: data/peer.csv, gradebook.db" in outcome.notes[0]
    assert seen == ["data", "quiz.ipynb"]
    assert (folder / "gradebook.db").is_symlink() and (folder / "data" / "peer.csv").is_symlink()
    assert not holding.exists()
