"""Autograde: every submission through nbgrader's autograde and feedback steps, in parallel.

The grader process owns the gradebook's students, the journal and the report; workers (local
processes, or Dask workers on other machines) run nbgrader for one submission at a time, and
nbgrader runs the student's notebook in a sandboxed kernel (see SECURITY.md). A submission that
breaks anything is reported and the rest are graded; an interrupted run resumes from the journal.
"""

import contextlib
import errno
import json
import math
import multiprocessing
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm
from traitlets.config import Config

from autograder import notes
from autograder.course import Course, use_grading_environment
from autograder.intake import Intake, IntakeLimits, inspect
from autograder.journal import Entry, Journal, fingerprint
from autograder.preprocessors.execute import close_kernels
from autograder.sandbox.kernels import used_shared_disk

GRADED, FAILED = "graded", "failed"
# How running out of disk space reads in a log or a cell's error (ENOSPC, EDQUOT, SQLite, tempfile).
DISK_FULL = re.compile(r"No space left on device|Errno 28\]|Disk quota exceeded|database or disk is full|"
                       r"No usable temporary directory")


@dataclass(frozen=True)
class Outcome:
    """What happened to one submission: `graded` (notes say what was unusual) or `failed` with the reason."""

    student: str
    assignment: str
    status: str
    detail: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


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


def journal(course: Course) -> Journal:
    """The course's grading journal, beside the autograded folder."""
    return Journal(course.folder("autograded").parent / "grading-journal.jsonl")


def _reason(result: dict) -> str:
    """The most telling line of a failed nbgrader run: its last exception other than nbgrader's summary."""
    lines = [line.strip() for line in f"{result.get('log') or ''}\n{result.get('error') or ''}".splitlines()]
    errors = [line for line in lines if re.match(r"^([\w]+\.)*[A-Z]\w*(Error|Exception|Exit|Entry): ", line)
              and "see the the above traceback" not in line and "see the above traceback" not in line]
    return (errors or [line for line in lines if line] or ["no reason given"])[-1][:300]


def _save_log(course: Course, student: str, assignment: str, result: dict) -> Path:
    path = course.folder("autograded").parent / "grading-logs" / f"{student}--{assignment}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{result.get('log') or ''}\n{result.get('error') or ''}")
    return path


def _quiet_nbgrader() -> None:
    # nbgrader's own session handling triggers these on every new submission; they are noise.
    warnings.filterwarnings("ignore", message=".*not in session.*", category=SAWarning)


# --- one submission (runs in a worker) --------------------------------------------------------

_worker_api: dict[int, object] = {}  # one nbgrader API object per worker process and configuration


def _api_for(config: Config):
    key = hash(repr(sorted(config.items(), key=str)))
    if key not in _worker_api:
        use_grading_environment()
        _quiet_nbgrader()
        _worker_api[key] = Course(config).api()
    return _worker_api[key]


def _expected_notebooks(course: Course, assignment: str) -> dict[str, set[str]]:
    with Gradebook(course.coursedir.db_url) as gradebook:
        return {f"{notebook.name}.ipynb": {cell.name for cell in notebook.source_cells}
                for notebook in gradebook.find_assignment(assignment).notebooks}


def _record_zero(course: Course, student: str, assignment: str) -> None:
    """Score a submission with nothing gradable 0 in the gradebook, and drop stale autograded files."""
    with Gradebook(course.coursedir.db_url) as gradebook:
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
        gradebook.db.commit()
    for step in ("autograded", "feedback"):
        shutil.rmtree(course.folder(step) / student / assignment, ignore_errors=True)


@contextlib.contextmanager
def _graded_view(folder: Path, intake: Intake) -> Iterator[None]:
    """While grading, move out of nbgrader's sight what it must not read (links, special files,
    unusable notebooks, notebooks graded from a trimmed copy) and write the trimmed copies in
    their place; afterwards put everything back as handed in.
    """
    holding = _holding(folder)
    moved = dict.fromkeys([*intake.set_aside, *(name for name in intake.unusable if os.path.lexists(folder / name)),
                           *intake.trimmed])
    try:
        for relative in moved:
            (holding / relative).parent.mkdir(parents=True, exist_ok=True)
            os.rename(folder / relative, holding / relative)
        for name, notebook in intake.trimmed.items():
            nbformat.write(notebook, folder / name)
        yield
    finally:
        for name in intake.trimmed:
            (folder / name).unlink(missing_ok=True)
        _put_back(holding, folder)


def _holding(folder: Path) -> Path:
    """Where `_graded_view` keeps what it moves out of a submission folder (find_submissions skips it)."""
    return folder.parent / f".{folder.name}.set-aside"


def _put_back(holding: Path, folder: Path) -> None:
    """Move every file and link set aside in `holding` back to where it was in `folder`."""
    if not holding.is_dir():
        return
    for directory, folders, files in os.walk(holding):
        for name in [*files, *(name for name in folders if Path(directory, name).is_symlink())]:
            source = Path(directory, name)
            target = folder / source.relative_to(holding)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, target)
        folders[:] = [name for name in folders if not Path(directory, name).is_symlink()]
    shutil.rmtree(holding, ignore_errors=True)


def _disk_full_in_outputs(course: Course, student: str, assignment: str) -> bool:
    """Whether a cell of the autograded notebooks failed for lack of disk space."""
    for path in (course.folder("autograded") / student / assignment).glob("*.ipynb"):
        for cell in json.loads(path.read_text()).get("cells", []):
            for output in cell.get("outputs", []):
                text = f"{output.get('evalue', '')} {output.get('text', '') if output.get('name') == 'stderr' else ''}"
                if DISK_FULL.search(str(text)):
                    return True
    return False


def grade_one(pair: tuple[str, str], config: Config) -> Outcome:
    """Autograde one submission and write its feedback; never raises for a bad submission.

    Running out of disk space while grading (the grader's own, or a kernel's on a shared disk)
    makes the submission `failed`, to be graded again, never a score of 0.
    """
    student, assignment = pair
    try:
        return _grade_one(student, assignment, config)
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        notes.take()
        return Outcome(student, assignment, FAILED, f"the grader ran out of disk space ({error}); grade it again")


def _grade_one(student: str, assignment: str, config: Config) -> Outcome:
    course, api = Course(config), _api_for(config)
    notes.take()
    used_shared_disk()
    folder = course.folder("submitted") / student / assignment
    _put_back(_holding(folder), folder)  # what a worker that died while grading had moved aside
    intake = inspect(folder, _expected_notebooks(course, assignment), IntakeLimits(config=config))
    if not intake.gradable:
        _record_zero(course, student, assignment)
        return Outcome(student, assignment, GRADED, "nothing gradable", tuple(intake.notes))
    with _graded_view(folder, intake):  # nbgrader would stop at an unreadable notebook; the others still count
        for attempt in range(2):
            result = api.autograde(assignment, student, force=True, create=True)
            if result["success"] or "database is locked" not in (result.get("error") or "") or attempt:
                break
    found = tuple(intake.notes + notes.take())
    if not result["success"]:
        log = _save_log(course, student, assignment, result)
        reason = _reason(result)
        if DISK_FULL.search(f"{result.get('log') or ''}\n{result.get('error') or ''}"):
            reason = f"the grader ran out of disk space; grade it again ({reason})"
        return Outcome(student, assignment, FAILED, f"{reason} (log: {log})", found)
    if _disk_full_in_outputs(course, student, assignment):
        if used_shared_disk():
            return Outcome(student, assignment, FAILED, "the kernel ran out of space on the disk it shares with "
                           "other kernels and the grader; grade it again", found)
        found += ("a cell ran out of space in the kernel's own scratch quota",)
    feedback = api.generate_feedback(assignment, student, force=True)
    status = GRADED if feedback["success"] else "graded, feedback failed"
    return Outcome(student, assignment, status, "", found)


# --- many submissions --------------------------------------------------------------------------

def _register_students(course: Course, students: Iterable[str]) -> None:
    """Create the gradebook and every student first, so parallel workers never race to insert them."""
    with Gradebook(course.coursedir.db_url) as gradebook:
        for student in sorted(set(students)):
            gradebook.update_or_create_student(student)


def _graded_pairs(course: Course) -> set[tuple[str, str]]:
    """(student, assignment) pairs the gradebook holds a submission for."""
    with Gradebook(course.coursedir.db_url) as gradebook:
        return {(submission.student_id, assignment.name) for assignment in gradebook.assignments
                for submission in assignment.submissions}


def _run_local(pairs: list[tuple[str, str]], config: Config, workers: int,
               done: Callable[[int, Outcome], None]) -> None:
    """Grade on local worker processes; a worker that dies is replaced and its submissions retried once."""
    if workers == 1:
        try:
            for batch in lesson_batches(pairs, 1):
                for index in batch:
                    done(index, grade_one(pairs[index], config))
        finally:
            close_kernels()
        return
    batches, tries = lesson_batches(pairs, workers), [0] * len(pairs)
    context = multiprocessing.get_context("spawn")
    while batches:
        with ProcessPoolExecutor(min(workers, len(batches)), mp_context=context) as pool:
            futures = {pool.submit(grade_batch, [pairs[index] for index in batch], config): batch
                       for batch in batches}
            batches = []
            while futures:
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch = futures.pop(future)
                    try:
                        for index, outcome in zip(batch, future.result(), strict=True):
                            done(index, outcome)
                    except BrokenProcessPool:  # each submission of the batch is tried again on its own
                        for index in batch:
                            tries[index] += 1
                            if tries[index] < 2:
                                batches.append([index])
                            else:
                                done(index, Outcome(*pairs[index], FAILED, "its grading worker died twice"))
                    except Exception as error:  # a bug while grading one batch stops nothing else
                        for index in batch:
                            done(index, Outcome(*pairs[index], FAILED, f"{type(error).__name__}: {error}"))


def lesson_batches(pairs: list[tuple[str, str]], workers: int, largest: int = 8) -> list[list[int]]:
    """Positions of `pairs` in batches of one assignment each, lesson by lesson.

    A worker keeps the zygote that has run a lesson's opening cells (autograder/sandbox/zygote.py),
    so grading one lesson's submissions together runs those cells once per worker, not once per
    submission; batches stay small enough that every worker has some of each lesson when a class is big.
    """
    by_assignment: dict[str, list[int]] = {}
    for index, (_, assignment) in sorted(enumerate(pairs), key=lambda item: (item[1][1], item[1][0])):
        by_assignment.setdefault(assignment, []).append(index)
    batches = []
    for indices in by_assignment.values():
        size = len(indices) if len(indices) <= largest else min(largest, math.ceil(len(indices) / workers))
        batches += [indices[start:start + size] for start in range(0, len(indices), size)]
    while len(batches) < workers and max(map(len, batches), default=1) > 1:  # no worker left idle
        biggest = max(batches, key=len)
        batches.remove(biggest)
        batches += [biggest[:len(biggest) // 2], biggest[len(biggest) // 2:]]
    return batches


def grade_batch(pairs: list[tuple[str, str]], config: Config) -> list[Outcome]:
    """Grade submissions one after another in this worker (see `lesson_batches`); one failing stops no other."""
    outcomes = []
    for pair in pairs:
        try:
            outcomes.append(grade_one(pair, config))
        except Exception as error:
            outcomes.append(Outcome(*pair, FAILED, f"{type(error).__name__}: {error}"))
    return outcomes


def _run_dask(pairs: list[tuple[str, str]], config: Config, workers: int, address: str,
              done: Callable[[int, Outcome], None]) -> None:
    """Grade on a Dask cluster: `address` of a running scheduler, or "local" for a cluster on this machine."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(cluster or address) as client:
        futures = {client.submit(grade_one, pair, config, pure=False, retries=1): index
                   for index, pair in enumerate(pairs)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done(index, future.result())
            except Exception as error:
                done(index, Outcome(*pairs[index], FAILED, f"{type(error).__name__}: {error}"))
    if cluster is not None:
        cluster.close()


def grade_submissions(course: Course, pairs: list[tuple[str, str]], progress: bool = True,
                      workers: int | None = None, resume: bool = False, dask: str | None = None) -> list[Outcome]:
    """Autograde each (student, assignment) pair and write its feedback; outcomes in the order of `pairs`.

    `workers` submissions at a time (default: one per CPU core, each kernel on one torch thread);
    scores never depend on it. With `resume`, submissions the journal shows finished with the same
    files are skipped. With `dask` (a scheduler address, or "local"), Dask workers do the grading.
    """
    use_grading_environment()
    _quiet_nbgrader()
    course.api()  # creates the gradebook's folder
    _register_students(course, (student for student, _ in pairs))
    log = journal(course)
    previous = log.entries() if resume else {}
    in_gradebook = _graded_pairs(course) if previous else set()
    tests = {assignment: fingerprint(course.folder("source") / assignment) for _, assignment in pairs}
    prints = {pair: f"{fingerprint(course.folder('submitted') / pair[0] / pair[1])}:{tests[pair[1]]}"
              for pair in pairs}
    outcomes: list[Outcome | None] = [None] * len(pairs)
    todo = []
    for index, pair in enumerate(pairs):
        entry = previous.get(pair)
        if entry and entry.fingerprint == prints[pair] and entry.status == GRADED and pair in in_gradebook:
            outcomes[index] = Outcome(*pair, GRADED, "already graded (resumed)", tuple(entry.notes))
        else:
            todo.append(index)
    bar = tqdm(total=len(pairs), initial=len(pairs) - len(todo), desc="grading", unit="submission",
               disable=not progress, dynamic_ncols=True)

    def done(position: int, outcome: Outcome) -> None:
        index = todo[position]
        outcomes[index] = outcome
        log.record(Entry(outcome.student, outcome.assignment, prints[pairs[index]], outcome.status,
                         list(outcome.notes)))
        bar.update()

    todo_pairs = [pairs[index] for index in todo]
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo_pairs) or 1))
    if dask:
        _run_dask(todo_pairs, course.config, workers, dask, done)
    else:
        _run_local(todo_pairs, course.config, workers, done)
    bar.close()
    return [outcome for outcome in outcomes if outcome is not None]


def feedback_files(course: Course, student: str, assignment: str) -> list[Path]:
    """The feedback HTML files written for one submission."""
    return sorted((course.folder("feedback") / student / assignment).glob("*.html"))
