"""Autograde: run nbgrader's autograde and feedback steps over every submission in the course."""

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm
from traitlets.config import Config

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


def _quiet_nbgrader() -> None:
    # nbgrader's own session handling triggers these on every new submission; they are noise.
    warnings.filterwarnings("ignore", message=".*not in session.*", category=SAWarning)


_worker_api = None  # one nbgrader API object per worker process


def _start_worker(config: Config) -> None:
    global _worker_api
    use_grading_environment()
    _quiet_nbgrader()
    _worker_api = Course(config).api()


def _grade_one(pair: tuple[str, str], api=None) -> Outcome:
    """Autograde one submission and write its feedback, retrying once if SQLite was busy."""
    api = api or _worker_api
    student, assignment = pair
    for attempt in range(2):
        result = api.autograde(assignment, student, force=True, create=True)
        if result["success"] or "database is locked" not in (result.get("error") or "") or attempt:
            break
    if not result["success"]:
        return Outcome(student, assignment, "failed", _last_error_line(result))
    feedback = api.generate_feedback(assignment, student, force=True)
    return Outcome(student, assignment, "graded" if feedback["success"] else "graded, feedback failed")


def _register_students(course: Course, students: set[str]) -> None:
    """Create the gradebook and every student first, so parallel workers never race to insert them."""
    with Gradebook(course.coursedir.db_url) as gradebook:
        for student in sorted(students):
            gradebook.update_or_create_student(student)


def grade_submissions(course: Course, pairs: list[tuple[str, str]], progress: bool = True,
                      workers: int | None = None) -> list[Outcome]:
    """Autograde each (student, assignment) pair and write its feedback, `workers` at a time.

    The default is one worker per CPU core; each worker's kernels use one torch thread. Scores do not
    depend on the number of workers. One failing submission stops nothing; outcomes come back in the
    order of `pairs`.
    """
    use_grading_environment()
    _quiet_nbgrader()
    course.api()  # creates the gradebook's folder
    _register_students(course, {student for student, _ in pairs})
    workers = max(1, min(workers or os.cpu_count() or 1, len(pairs) or 1))
    bar = tqdm(total=len(pairs), desc="grading", unit="submission", disable=not progress)
    if workers == 1:
        api = course.api()
        outcomes = []
        for pair in pairs:
            outcomes.append(_grade_one(pair, api))
            bar.update()
        bar.close()
        return outcomes
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(course.config,)) as pool:
        futures = {pool.submit(_grade_one, pair): index for index, pair in enumerate(pairs)}
        outcomes: list[Outcome | None] = [None] * len(pairs)
        for future in as_completed(futures):
            student, assignment = pairs[futures[future]]
            try:
                outcomes[futures[future]] = future.result()
            except Exception as error:  # a worker that died takes no other submission with it
                outcomes[futures[future]] = Outcome(student, assignment, "failed", f"{type(error).__name__}: {error}")
            bar.update()
    bar.close()
    return outcomes


def feedback_files(course: Course, student: str, assignment: str) -> list[Path]:
    """The feedback HTML files written for one submission."""
    return sorted((course.folder("feedback") / student / assignment).glob("*.html"))
