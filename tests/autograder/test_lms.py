"""LMS exports: a small gradebook built with nbgrader's API, written in Canvas's and Moodle's layouts."""

import csv
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main
from autograder.grading import FAILED, journal
from autograder.journal import Entry, fingerprint
from autograder.lms import Lateness, export_grades, grade_cells, late_note
from autograder.roster import import_roster

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
DUE = datetime(2026, 11, 20, 12, 0)
ROSTER = (
    "id,first_name,last_name,email\n"
    "ada,Ada,Okafor,ada.okafor@example.org\n"
    "ben,Ben,Lindqvist,\n"  # no email
    'cleo,"=HYPERLINK(""http://x"")","<b>Marchetti</b>, Jr.",cleo.marchetti@example.org\n'
)


def _hand_in(course, gradebook, student: str, assignment: str, at: str, scores: dict[str, float] | None) -> None:
    """Write the submission folder with its timestamp.txt; put it in the gradebook with `scores` unless None."""
    folder = course.folder("submitted") / student / assignment
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(f"{at} UTC\n")
    if scores is None:  # handed in, and autograding failed: the grading journal says so
        journal(course).record(Entry(student, assignment, fingerprint(folder), FAILED, ["autograde failed"]))
        return
    gradebook.add_submission(assignment, student, timestamp=f"{at} UTC")
    for cell, score in scores.items():
        grade = gradebook.find_grade(cell, "quiz", assignment, student)
        grade.auto_score = score
        grade.needs_manual_grade = score is None
    gradebook.db.commit()


@pytest.fixture(scope="module")
def small_class(course_copier, tmp_path_factory):
    """Two assignments (a1 due 2026-11-20 12:00 UTC, 4 + 6 points; a2 without a due date, 5 points), four students.

    ada: a1 10/10 on time, a2 5/5.      ben: a1 a real 0, 2 h 5 min late; a2 not handed in.
    cleo: a1 failed to grade, 1 day late; a2 needs manual grading.   dev: not in the roster; a1 4/10, a2 missing.
    """
    course_copy = course_copier(tmp_path_factory.mktemp("lms") / "course")
    course_copy.api()
    with Gradebook(course_copy.coursedir.db_url) as gradebook:
        gradebook.add_assignment("a1", duedate=DUE)
        gradebook.add_assignment("a2")
        for assignment, cells in (("a1", {"ex1": 4, "ex2": 6}), ("a2", {"ex1": 5})):
            gradebook.add_notebook("quiz", assignment)
            for cell, points in cells.items():
                gradebook.add_grade_cell(cell, "quiz", assignment, max_score=points, cell_type="code")
        for student in ("ada", "ben", "cleo", "dev"):
            gradebook.update_or_create_student(student)
        _hand_in(course_copy, gradebook, "ada", "a1", "2026-11-20 11:59:00", {"ex1": 4, "ex2": 6})
        _hand_in(course_copy, gradebook, "ada", "a2", "2026-11-25 09:00:00", {"ex1": 5})
        _hand_in(course_copy, gradebook, "ben", "a1", "2026-11-20 14:05:00", {"ex1": 0, "ex2": 0})
        _hand_in(course_copy, gradebook, "cleo", "a1", "2026-11-21 12:00:00", None)
        _hand_in(course_copy, gradebook, "cleo", "a2", "2026-11-21 12:00:00", {"ex1": None})
        _hand_in(course_copy, gradebook, "dev", "a1", "2026-11-20 10:00:00", {"ex1": 4, "ex2": 0})
    roster = course_copy.root / "roster.csv"
    roster.write_text(ROSTER)
    import_roster(course_copy, roster)
    return course_copy


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("layout", ["canvas", "moodle"])
def test_export_matches_golden_files(small_class, tmp_path, layout):
    export = export_grades(small_class, layout, tmp_path / f"lms-{layout}.csv")
    assert export.path.read_text(encoding="utf-8") == (GOLDEN / f"lms-{layout}.csv").read_text(encoding="utf-8")
    assert export.notes_path.name == f"lms-{layout}-notes.csv"
    assert export.notes_path.read_text(encoding="utf-8") == (GOLDEN / export.notes_path.name).read_text(
        encoding="utf-8")


def test_a_real_zero_is_not_missing_failed_or_unfinished(small_class):
    cells = grade_cells(small_class).set_index(["student", "assignment"])
    assert cells.loc[("ben", "a1"), "exported"] == "0"
    for pair, reason in ((("ben", "a2"), "missing: not handed in"), (("cleo", "a1"), "autograding failed"),
                         (("cleo", "a2"), "needs manual grading")):
        assert cells.loc[pair, "exported"] == "", pair
        assert reason in cells.loc[pair, "note"], pair
    assert cells.loc[("ada", "a1"), "note"] == ""


def test_late_work_is_flagged_from_the_gradebook_and_from_timestamp_txt(small_class):
    cells = grade_cells(small_class).set_index(["student", "assignment"])["note"]
    assert "late: 2 h 5 min after the deadline (2026-11-20 12:00 UTC)" in cells[("ben", "a1")]
    assert "late: 1 d after the deadline" in cells[("cleo", "a1")]  # failed: read from timestamp.txt
    assert "late" not in cells[("ada", "a1")] + cells[("ada", "a2")] + cells[("dev", "a1")]


def test_late_note_counts_days_hours_and_minutes():
    assert late_note(Lateness(90061.0, DUE)) == "late: 1 d 1 h 1 min after the deadline (2026-11-20 12:00 UTC)"
    assert late_note(Lateness(5.0, DUE)).startswith("late: 1 min after")


def test_canvas_header_is_what_canvas_importer_reads(small_class, tmp_path):
    rows = _rows(export_grades(small_class, "canvas", tmp_path / "c.csv").path)
    header, points = rows[0], rows[1]
    # canvas-lms GradebookImporter: "Student", "ID", then SIS User ID + SIS Login ID, and Section closes the block
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == ["a1", "a2"]
    assert points == ["Points Possible", "", "", "", "", "10", "5"]
    assert {row[3] for row in rows[2:]} == {"ada", "ben", "cleo", "dev"}  # ben kept: Canvas needs no email


def test_moodle_leaves_out_students_without_email_and_says_so(small_class, tmp_path):
    export = export_grades(small_class, "moodle", tmp_path / "m.csv")
    rows = _rows(export.path)
    assert [row[2] for row in rows[1:]] == ["ada", "cleo"]
    assert all(row[3] for row in rows[1:]), "every Moodle row needs the identifier Moodle maps on"
    assert any(w.startswith("ben: no email in the roster") for w in export.warnings)
    assert any(w.startswith("dev: not in the roster: left out") for w in export.warnings)
    left_out = [row for row in _rows(export.notes_path) if row[7] == "left out"]
    assert [row[0] for row in left_out] == ["ben", "dev"]


def test_names_cannot_become_spreadsheet_formulas(small_class, tmp_path):
    for layout in ("canvas", "moodle"):
        export = export_grades(small_class, layout, tmp_path / f"{layout}.csv")
        for path in (export.path, export.notes_path):
            cells = [cell for row in _rows(path)[1:] for cell in row]
            assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))], path


def test_cli_export_writes_beside_grades_csv(small_class, monkeypatch, capsys):
    monkeypatch.delenv("GRADEBOOK_URL", raising=False)
    config = small_class.root / "autograder" / "nbgrader_config.py"
    shutil.copy(REPO / "autograder" / "nbgrader_config.py", config)
    assert main(["--config", str(config), "export", "--lms", "moodle"]) == 0
    written = small_class.root / "work" / "grades-moodle.csv"
    assert _rows(written)[0][:4] == ["First name", "Last name", "Username", "Email address"]
    captured = capsys.readouterr()
    assert "warning: ben: no email in the roster" in captured.err
    assert str(written) in captured.out
