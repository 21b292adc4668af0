"""Autograde: run nbgrader's autograde and feedback steps over every submission in the course."""

import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm

from autograder.course import Course, use_grading_environment


@dataclass(frozen=True)
class Outcome:
    """What happened to one submission: `graded`, or `failed` with nbgrader's reason."""

    student: str
    assignment: str
    status: str
    detail: str = ""


def find_submissions(
    course: Course, assignments: list[str] | None = None, students: list[str] | None = None
) -> list[tuple[str, str]]:
    """(student, assignment) pairs present in the submitted folder, optionally filtered, sorted."""
    submitted = course.folder("submitted")
    if not submitted.is_dir():
        return []
    pairs = [
        (folder.parent.name, folder.name)
        for folder in submitted.glob("*/*")
        if folder.is_dir() and not folder.name.startswith(".")
    ]
    return sorted(
        (student, assignment)
        for student, assignment in pairs
        if (assignments is None or assignment in assignments)
        and (students is None or student in students)
    )


def _last_error_line(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip()
    return text.splitlines()[-1] if text else "no reason given"


def grade_submissions(course: Course, pairs: list[tuple[str, str]], progress: bool = True) -> list[Outcome]:
    """Autograde each (student, assignment) pair and write its feedback; one failure stops nothing."""
    use_grading_environment()
    # nbgrader's own session handling triggers these on every new submission; they are noise.
    warnings.filterwarnings("ignore", message=".*not in session.*", category=SAWarning)
    api = course.api()
    outcomes = []
    for student, assignment in tqdm(pairs, desc="grading", unit="submission", disable=not progress):
        result = api.autograde(assignment, student, force=True, create=True)
        if not result["success"]:
            outcomes.append(Outcome(student, assignment, "failed", _last_error_line(result)))
            continue
        feedback = api.generate_feedback(assignment, student, force=True)
        status = "graded" if feedback["success"] else "graded, feedback failed"
        outcomes.append(Outcome(student, assignment, status))
    return outcomes


def feedback_files(course: Course, student: str, assignment: str) -> list[Path]:
    """The feedback HTML files written for one submission."""
    return sorted((course.folder("feedback") / student / assignment).glob("*.html"))
