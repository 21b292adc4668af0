"""Validate and the grader agree: a correct answer that makes torch print a UserWarning passes both."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder.demo import fill_answers, solution_sources
from autograder.grading import grade_submissions
from autograder.release import release
from autograder.report import exercise_scores

REPO = Path(__file__).resolve().parents[2]
LESSON = "01-tensors"
# Correct, but float() on a loss that requires grad makes torch warn on stderr at every call.
FIT_LINE_WITH_WARNING = '''def fit_line(x, y, steps, lr):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(float(loss))
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return w.item(), b.item(), losses
'''


def _warning_submission(course) -> nbformat.NotebookNode:
    source = course.source_notebooks(LESSON)[0]
    answers = solution_sources(source) | {"ex5-fit-line": FIT_LINE_WITH_WARNING}
    return fill_answers(course.folder("release") / LESSON / source.name, answers)


def test_nbgrader_validate_passes_a_correct_answer_that_warns(repo_course, tmp_path):
    notebook = tmp_path / "tensors.ipynb"
    nbformat.write(_warning_submission(repo_course), notebook)
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       COURSE_OFFLINE="1", OMP_NUM_THREADS="1")
    # Run from the repository root, as `make lab` does: the root nbgrader_config.py must apply.
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)], cwd=REPO,
                            capture_output=True, text=True, env=environment, timeout=300)
    output = result.stdout + result.stderr
    assert "Success! Your notebook passes all the tests." in output, output[-3000:]
    assert "WILL NOT receive full credit" not in output


def test_the_grader_gives_full_marks_to_a_correct_answer_that_warns(course_copy):
    release(course_copy, [LESSON])
    submitted = course_copy.folder("submitted") / "wes" / LESSON
    submitted.mkdir(parents=True)
    nbformat.write(_warning_submission(course_copy), submitted / "tensors.ipynb")
    (submitted / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    outcomes = grade_submissions(course_copy, [("wes", LESSON)], progress=False, workers=1)
    assert [o.status for o in outcomes] == ["graded"]
    scores = exercise_scores(course_copy).set_index("exercise")
    assert scores.loc["ex5-tests", "score"] == scores.loc["ex5-tests", "max_score"] == 2.0
