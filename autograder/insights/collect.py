"""Gather every graded test cell of a class into one table: score, how it ended, which mistake.

Scores come from the gradebook; how each test ended comes from the autograded notebooks, where the
grader stored it from the grading kernel's signed report (autograder/outcomes.py). Only submissions
whose latest autograde succeeded are read: a failed one's notebook may be from an earlier run.
"""

import json
import re
from pathlib import Path

import pandas as pd

from autograder import outcomes
from autograder.course import Course
from autograder.report import exercise_scores, submission_scores

OUTCOME_COLUMNS = ["student", "assignment", "notebook", "exercise", "score", "max_score", "outcome", "part",
                   "ename", "mistake", "message", "misconception"]
NOT_ATTEMPTED = "not-attempted"
GRADED_STATUSES = ("graded", "needs manual grading")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(\.\d+)?(e[-+]?\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SHAPE_LIMIT = 90


def message_shape(message: str) -> str:
    """A failure message with its particulars blanked (numbers to #, quoted text to '…'), to group alike ones."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    shape = _NUMBER.sub("#", _QUOTED.sub("'…'", first))
    return shape[:_SHAPE_LIMIT] + ("…" if len(shape) > _SHAPE_LIMIT else "")


def misconception_key(outcome: str, ename: str, mistake: str, message: str) -> str:
    """What a failure is counted as: the check's misconception id, else the error's type and message shape."""
    if outcome != outcomes.FAILED:
        return "" if outcome == outcomes.PASSED else outcome
    if mistake:
        return mistake
    if ename == "NotImplementedError":
        return NOT_ATTEMPTED
    shape = message_shape(message)
    return f"{ename}: {shape}" if shape else ename


def _error_message(cell: dict) -> str:
    """The message of the error the grader recorded for a test cell ("" when it passed)."""
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    return str(errors[-1].get("evalue") or "") if errors else ""


def notebook_outcomes(path: Path) -> dict[str, dict[str, str]]:
    """grade_id -> how that test cell ended, for every graded test cell of one autograded notebook."""
    try:  # plain JSON: the grader wrote these files, and validating thousands of them is slow
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return {}
    found = {}
    for cell in cells:
        grading = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if cell.get("cell_type") == "code" and grading.get("grade") and not grading.get("solution"):
            found[str(grading.get("grade_id", ""))] = {**outcomes.read(cell), "message": _error_message(cell)}
    return found


def class_outcomes(course: Course, submissions: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per graded test cell of every graded submission (see OUTCOME_COLUMNS)."""
    submissions = submission_scores(course) if submissions is None else submissions
    graded = {(row.student, row.assignment) for row in submissions.itertuples() if row.status in GRADED_STATUSES}
    scores = exercise_scores(course)
    autograded = course.folder("autograded")
    cache: dict[tuple[str, str, str], dict[str, dict[str, str]]] = {}
    rows = []
    for row in scores.itertuples():
        if (row.student, row.assignment) not in graded:
            continue
        key = (row.student, row.assignment, row.notebook)
        if key not in cache:
            path = autograded / row.student / row.assignment / f"{row.notebook}.ipynb"
            cache[key] = notebook_outcomes(path) if path.is_file() else {}
        if row.exercise not in cache[key]:
            continue  # a manually graded answer cell: scored, but no test ran
        found = cache[key][row.exercise]
        rows.append([row.student, row.assignment, row.notebook, row.exercise, row.score, row.max_score,
                     found["outcome"], found["part"], found["ename"], found["mistake"], found["message"],
                     misconception_key(found["outcome"], found["ename"], found["mistake"], found["message"])])
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
