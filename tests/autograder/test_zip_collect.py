"""LMS hand-in: a zip laid out as Canvas or Moodle downloads it lands in submitted/<student>/<lesson>/."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.roster import import_roster
from autograder.zip_collect import RosterCollector, name_key

REPO = Path(__file__).resolve().parents[2]
LESSON, NOTEBOOK = "01-tensors", "tensors.ipynb"
ROSTER = ("id,first_name,last_name,email\nada,Ada,Lovelace,ada@example.org\nben,Ben,Müller,ben@example.org\n"
          "eve,Eve,Noether,eve@example.org\nkim1,Kim,Lee,kim1@example.org\nkim2,Kim,Lee,kim2@example.org\n")


@pytest.fixture
def course(course_copy, tmp_path):
    """A course copy with a roster, and its nbgrader config written where the CLI finds it."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    import_roster(course_copy, roster)
    return course_copy


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _notebook(course, marker: str) -> bytes:
    text = (course.folder("release") / LESSON / NOTEBOOK).read_text()
    return text.replace('"cells": [', f'"cells": [{{"cell_type": "markdown", "metadata": {{}}, '
                        f'"source": "{marker}"}},', 1).encode()


def _collect(course, *arguments: str, capsys) -> tuple[int, str]:
    config = course.root / "nbgrader_config.py"
    config.write_text(f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})\n"
                      f"c = get_config()\nc.CourseDirectory.root = {str(course.root)!r}\n"
                      f"c.CourseDirectory.db_url = {course.coursedir.db_url!r}\n")
    status = main(["--config", str(config), "zip-collect", LESSON, *arguments])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _handed_in(course, student: str) -> str:
    return (course.folder("submitted") / student / LESSON / NOTEBOOK).read_text()


def test_a_canvas_zip_lands_in_each_students_submitted_folder(course, tmp_path, capsys):
    download = _zip(tmp_path / "submissions.zip", {
        "lovelaceada_1201_88001_tensors.ipynb": _notebook(course, "ada first"),
        "lovelaceada_1201_88002_tensors-1.ipynb": _notebook(course, "ada again"),
        "mullerben_LATE_1202_88003_tensors.ipynb": _notebook(course, "ben"),
        "leekim_1203_88004_tensors.ipynb": _notebook(course, "a Kim"),
        "turingalan_1204_88005_tensors.ipynb": _notebook(course, "not on the roster"),
        "noethereve_1205_88006_notes.pdf": b"%PDF-1.4",
        "readme.ipynb": _notebook(course, "stray"),
    })
    before = hashlib.sha256(download.read_bytes()).hexdigest()
    status, printed = _collect(course, str(download), capsys=capsys)
    assert status == 1, "skipped files make the command fail so that no one is forgotten"
    assert f"{LESSON}: 2 students collected (ada, ben)" in printed
    assert "ada again" in _handed_in(course, "ada"), "Canvas's -1 resubmission replaces the first"
    assert "ben" in _handed_in(course, "ben")
    extracted = course.root / "work" / "downloaded" / LESSON / "extracted" / "submissions"
    for name, reason in [("leekim_1203_88004_tensors.ipynb", "several students on the roster have this name "
                          "(kim1, kim2)"), ("turingalan_1204_88005_tensors.ipynb", "no student on the roster"),
                         ("noethereve_1205_88006_notes.pdf", "not a notebook"),
                         ("readme.ipynb", "the name is not in canvas's download layout"),
                         ("lovelaceada_1201_88001_tensors.ipynb", "an earlier upload; the later "
                          "lovelaceada_1201_88002_tensors-1.ipynb is collected")]:
        assert f"skipped work/downloaded/{LESSON}/extracted/submissions/{name}: {reason}" in printed, name
        assert (extracted / name).is_file(), f"{name} is kept"
    assert hashlib.sha256((course.root / "work" / "downloaded" / LESSON / "archive" / download.name)
                          .read_bytes()).hexdigest() == before
    assert not (course.root / "downloaded").exists()


def test_a_moodle_zip_in_folders_and_flat_is_collected_by_full_name(course, tmp_path, capsys):
    download = _zip(tmp_path / "moodle.zip", {
        "Ada Lovelace_31_assignsubmission_file_/tensors.ipynb": _notebook(course, "ada"),
        "Eve Noether_32_assignsubmission_file_tensors.ipynb": _notebook(course, "eve"),
    })
    status, printed = _collect(course, str(download), "--lms", "moodle", capsys=capsys)
    assert status == 0, printed
    assert f"{LESSON}: 2 students collected (ada, eve)" in printed
    assert "ada" in _handed_in(course, "ada") and "eve" in _handed_in(course, "eve")


def test_a_damaged_zip_says_so_and_collects_nothing(course, tmp_path, capsys):
    broken = tmp_path / "submissions.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    status, printed = _collect(course, str(broken), capsys=capsys)
    assert status == 1
    assert "nothing collected: cannot extract the downloads" in printed and "download them again" in printed
    assert not course.folder("submitted").exists() or not list(course.folder("submitted").iterdir())


def test_names_reduce_as_the_lms_writes_them():
    assert name_key("Müller") + name_key("Ben") == "mullerben"
    assert name_key("Ada Lovelace") == "adalovelace"
    assert RosterCollector().lms == "canvas"
