"""Report: read scores back from the gradebook into tables and CSV files.

Student and assignment names and notes can come from submissions: the printed table and the CSV
files show any control character in them escaped (`notes.printable`), never raw.
"""

from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from autograder.course import Course
from autograder.notes import printable

NOT_GRADED_FAILED, NOT_GRADED_YET, MISSING = "not graded: autograde failed", "not graded yet", "missing"
SUBMISSION_COLUMNS = ["student", "assignment", "score", "max_score", "percent", "status", "notes"]
EXERCISE_COLUMNS = ["student", "assignment", "notebook", "exercise", "score", "max_score"]


def submission_scores(course: Course, failed: set[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """One row per student and assignment: score, maximum, percent and status (graded, missing, ...).

    `failed` names (student, assignment) pairs whose latest autograde failed: whatever score the
    gradebook still holds for them is from an earlier run, so they are reported as not graded.
    A submission handed in but never autograded reads "not graded yet".
    """
    from autograder.grading import FAILED, journal

    submitted = course.folder("submitted")
    entries = journal(course).entries()
    failed = set(failed) | {pair for pair, entry in entries.items() if entry.status == FAILED}
    rows = []
    with Gradebook(course.coursedir.db_url) as gradebook:
        students = sorted(s.id for s in gradebook.students)
        for assignment in sorted(a.name for a in gradebook.assignments):
            max_score = gradebook.find_assignment(assignment).max_score
            for student in students:
                try:
                    submission = gradebook.find_submission(assignment, student)
                except MissingEntry:
                    submission = None
                entry = entries.get((student, assignment))
                found = " | ".join(entry.notes) if entry else ""
                if (student, assignment) in failed:
                    rows.append([student, assignment, 0.0, max_score, 0.0, NOT_GRADED_FAILED, found])
                    continue
                if submission is None:
                    handed_in = (submitted / student / assignment).is_dir()
                    status = NOT_GRADED_YET if handed_in else MISSING
                    rows.append([student, assignment, 0.0, max_score, 0.0, status, found])
                    continue
                status = "needs manual grading" if submission.needs_manual_grade else "graded"
                score = float(submission.score)
                rows.append([student, assignment, score, max_score, _percent(score, max_score), status, found])
    return pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)


def exercise_scores(course: Course) -> pd.DataFrame:
    """One row per graded cell of every graded submission."""
    rows = []
    with Gradebook(course.coursedir.db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows.append([submission.student_id, assignment.name, notebook.name, grade.name,
                                     float(grade.score), float(grade.max_score)])
    frame = pd.DataFrame(rows, columns=EXERCISE_COLUMNS)
    return frame.sort_values(["student", "assignment", "notebook", "exercise"], ignore_index=True)


def _percent(score: float, max_score: float) -> float:
    return round(100.0 * score / max_score, 1) if max_score else 0.0


def printable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell passed through `printable` (no control characters)."""
    return frame.apply(lambda column: column.map(lambda value: printable(value) if isinstance(value, str) else value))


def score_table(scores: pd.DataFrame) -> str:
    """A student x assignment table of 'score/max' with each student's total, as text."""
    if scores.empty:
        return "(no submissions graded)"
    scores = printable_frame(scores)
    cells = scores.assign(
        cell=[
            f"{row.score:g}/{row.max_score:g}" if row.status == "graded" else f"{row.status}"
            for row in scores.itertuples()
        ]
    ).pivot(index="student", columns="assignment", values="cell")
    totals = scores.groupby("student")[["score", "max_score"]].sum()
    cells["total"] = [f"{t.score:g}/{t.max_score:g}" for t in totals.loc[cells.index].itertuples()]
    return cells.to_string()


def write_reports(
    course: Course, folder: Path, failed: set[tuple[str, str]] = frozenset()
) -> dict[str, Path]:
    """Write grades.csv (per submission) and exercise-scores.csv (per graded cell) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"grades": folder / "grades.csv", "exercises": folder / "exercise-scores.csv"}
    printable_frame(submission_scores(course, failed)).to_csv(paths["grades"], index=False)
    printable_frame(exercise_scores(course)).to_csv(paths["exercises"], index=False)
    return paths
