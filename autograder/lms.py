"""Grades for the LMS: the gradebook as a CSV file that Canvas or Moodle imports, plus a notes file.

Scores come from `report.submission_scores` (the same rows as grades.csv), names and emails from
the roster in the gradebook (`python -m autograder roster import`), lateness from nbgrader's
gradebook (`SubmittedAssignment.timestamp` against the assignment's due date plus any extension)
or, for a submission that failed to grade, from its `timestamp.txt`.

Canvas (Grades → Import; layout read from canvas-lms `app/models/gradebook_importer.rb`,
https://github.com/instructure/canvas-lms, and the guide
https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):

    Student,ID,SIS User ID,SIS Login ID,Section,01-tensors,02-linear-regression,...
    Points Possible,,,,,10,10,...
    "Okafor, Ada",,,ada,,10,8,...

The header must start with `Student` and `ID`; `SIS User ID` and `SIS Login ID` may follow, and
`Section` ends the student columns. Every later column is an assignment, matched by its title (a new
assignment is created for an unknown title, so name the Canvas assignments like the nbgrader ones).
A row `Points Possible` gives each assignment's maximum. Canvas finds the student by ID, then SIS
User ID, then SIS Login ID, then by name ("Last, First"); the nbgrader id goes in SIS Login ID
(the login a JupyterHub usually shares) and the other ids stay empty; a student Canvas cannot
match is shown on its import page to be matched by hand. A blank cell is "no grade" (it also
clears a score Canvas already holds for that cell).

Moodle (Grades → Import → CSV file; https://docs.moodle.org/311/en/Grade_import and
`grade/import/csv/classes/load_data.php`, https://github.com/moodle/moodle):

    First name,Last name,Username,Email address,01-tensors,Feedback: 01-tensors,...
    Ada,Okafor,ada,ada.okafor@example.org,10,,...

Moodle reads any header: on its preview page map "Email address" to "useremail" (Identify user by),
each grade column to its grade item, and each feedback column to that item's feedback. A grade of
`-` (or an empty cell) is "no grade" (it also clears a grade Moodle already holds). Moodle refuses
the whole file if one identifier matches no user, and gives a row whose identifier is empty to the
student of the row above it; so a student without an email in the roster is left out of the Moodle
file and listed in the notes file.

Missing work, failed grading and late work. A real 0 is exported as 0. A missing submission (not
handed in), one that failed to autograde, and one that still needs manual grading have no score
yet: they are exported as "no grade" (blank in Canvas, `-` in Moodle), never as 0, so a regrade or
a policy decision (count missing work as 0 in the LMS) stays the instructor's. A submission handed
in after its due date keeps its score and is flagged late. Moodle carries each reason in the
item's feedback column, which students see beside the grade. Canvas's import has no column for
it: an unknown header becomes a new assignment and lateness is computed from Canvas's own
submission times, so the reasons go to a companion file, `<output>-notes.csv` (student, names,
email, assignment, score, status, note), written for both layouts: one row for every cell that is
not an on-time graded score, and one for every student left out of the LMS file.

Every text cell is shown through `notes.printable` (no control characters), and a name starting
with `=`, `+`, `-` or `@` gets a leading `'` so a spreadsheet does not run it as a formula.
"""

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc

from autograder.course import Course
from autograder.notes import printable
from autograder.report import MISSING, NOT_GRADED_FAILED, NOT_GRADED_YET, submission_scores
from autograder.roster import RosterEntry, gradebook_roster

LAYOUTS = ("canvas", "moodle")
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_STUDENT_COLUMNS = ["First name", "Last name", "Username", "Email address"]
NOTES_COLUMNS = ["student", "first_name", "last_name", "email", "assignment", "score", "max_score", "status", "note"]
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Lateness:
    """How late a handed-in submission was: seconds after its due date, and that due date (UTC)."""

    seconds: float
    duedate: datetime


@dataclass(frozen=True)
class Export:
    """What an export wrote: the LMS file, the notes file, and warnings for the instructor."""

    path: Path
    notes_path: Path
    warnings: list[str]


def _handed_in_at(course: Course, student: str, assignment: str) -> datetime | None:
    stamp = course.folder("submitted") / student / assignment / "timestamp.txt"
    try:
        return parse_utc(stamp.read_text().strip()).replace(tzinfo=None)
    except (OSError, ValueError, OverflowError):
        return None


def lateness(course: Course) -> dict[tuple[str, str], Lateness]:
    """(student, assignment) -> Lateness for every submission handed in after its due date."""
    late = {}
    with Gradebook(course.coursedir.db_url) as gradebook:
        for assignment in gradebook.assignments:
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    submission = None
                if submission is not None and submission.timestamp is not None:
                    seconds, duedate = submission.total_seconds_late, submission.duedate
                else:  # not in the gradebook (failed to grade): read the hand-in time beside the files
                    handed_in, duedate = _handed_in_at(course, student.id, assignment.name), assignment.duedate
                    seconds = (handed_in - duedate).total_seconds() if handed_in and duedate else 0.0
                if seconds > 0:
                    late[(student.id, assignment.name)] = Lateness(seconds, duedate)
    return late


def late_note(late: Lateness) -> str:
    """'late: 1 d 2 h 5 min after the deadline (2026-11-20 12:00 UTC)'."""
    minutes = max(1, round(late.seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if value]
    return f"late: {' '.join(parts)} after the deadline ({late.duedate:%Y-%m-%d %H:%M} UTC)"


STATUS_NOTES = {
    MISSING: "missing: not handed in",
    NOT_GRADED_FAILED: "not graded: autograding failed; run `python -m autograder grade` again",
    NOT_GRADED_YET: "not graded yet: run `python -m autograder grade`",
    "needs manual grading": "not final: needs manual grading in Formgrader",
}


def grade_cells(course: Course, failed: set[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """One row per student and assignment: the score to export ('' when there is none yet) and a note."""
    scores = submission_scores(course, failed)
    late = lateness(course)
    exported, notes = [], []
    for row in scores.itertuples():
        graded = row.status == "graded"
        exported.append(f"{row.score:g}" if graded else "")
        note = [STATUS_NOTES.get(row.status, row.status)] if not graded else []
        if (row.student, row.assignment) in late:
            note.append(late_note(late[(row.student, row.assignment)]))
        notes.append("; ".join(note))
    return scores.assign(exported=exported, note=notes)


def _text(value: str) -> str:
    value = printable(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def export_grades(course: Course, layout: str, output: Path, failed: set[tuple[str, str]] = frozenset()) -> Export:
    """Write the gradebook in the `layout` ('canvas' or 'moodle') to `output`, and the notes file beside it."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown LMS layout '{layout}'; choose one of {', '.join(LAYOUTS)}")
    cells = grade_cells(course, failed)
    people = {entry.id: entry for entry in gradebook_roster(course)}
    assignments = sorted(cells["assignment"].unique())
    maximum = cells.groupby("assignment")["max_score"].first()
    by_student = {student: frame.set_index("assignment") for student, frame in cells.groupby("student")}
    notes_path = output.with_name(f"{output.stem}-notes.csv")
    rows: list[list[str]] = []
    notes: list[list[str]] = [NOTES_COLUMNS]
    warnings: list[str] = []
    if layout == "canvas":
        rows.append(CANVAS_STUDENT_COLUMNS + assignments)
        rows.append(["Points Possible", "", "", "", "", *(f"{maximum[a]:g}" for a in assignments)])
    else:
        rows.append(MOODLE_STUDENT_COLUMNS + [c for a in assignments for c in (a, f"Feedback: {a}")])
    for student in sorted(by_student):
        person = people.get(student, RosterEntry(student, "", "", ""))
        frame = by_student[student]
        identity = [_text(person.id), _text(person.first_name), _text(person.last_name), _text(person.email)]
        left_out = ""
        if not (person.first_name or person.last_name):
            warnings.append(f"{student}: not in the roster (no name); import it with `python -m autograder roster "
                            "import`")
        if layout == "moodle" and not person.email:
            known = "no email in the roster" if person.first_name or person.last_name else "not in the roster"
            left_out = f"{known}: left out of the Moodle file (Moodle gives a row without an email to the " \
                       "student above it); enter these grades by hand, or import the email and export again"
            warnings.append(f"{student}: {left_out}")
            notes.append([*identity, "", "", "", "left out", left_out])
        for assignment in assignments:
            cell = frame.loc[assignment]
            if cell.note:
                notes.append([*identity, assignment, cell.exported, f"{cell.max_score:g}",
                              printable(cell.status), printable(cell.note)])
        if left_out:
            continue
        if layout == "canvas":
            name = ", ".join(part for part in (person.last_name, person.first_name) if part) or student
            rows.append([_text(name), "", "", _text(student), "", *(frame.loc[a].exported for a in assignments)])
        else:
            rows.append([_text(person.first_name), _text(person.last_name), _text(student), _text(person.email),
                         *(value for a in assignments
                           for value in (frame.loc[a].exported or "-", printable(frame.loc[a].note)))])
    _write(output, rows)
    _write(notes_path, notes)
    return Export(output, notes_path, warnings)
