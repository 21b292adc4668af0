"""Inspecting a submission folder before grading: renamed, invalid, missing, linked and huge notebooks."""

import os

import nbformat
import pytest

from autograder.intake import IntakeLimits, inspect


def notebook_with(grade_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata.nbgrader = {"grade_id": grade_id, "solution": True, "grade": False, "locked": False}
    return nbformat.v4.new_notebook(cells=[cell])


def test_a_renamed_notebook_is_graded_under_its_expected_name(tmp_path):
    nbformat.write(notebook_with("ex1"), tmp_path / "quiz (1).ipynb")
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1", "ex1-tests"}})
    assert intake.gradable == ["quiz.ipynb"] and (tmp_path / "quiz.ipynb").is_file()
    assert (tmp_path / "quiz (1).ipynb").is_file()  # the student's file is kept
    assert intake.notes == ["quiz.ipynb: submitted as quiz (1).ipynb; graded under the expected name"]


def test_an_invalid_notebook_and_a_missing_one_are_unusable_with_reasons(tmp_path):
    (tmp_path / "quiz.ipynb").write_bytes(b"\x00\xff not json")
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1"}, "other.ipynb": {"ex9"}})
    assert intake.gradable == [] and intake.unusable == ["quiz.ipynb", "other.ipynb"]
    assert intake.notes[0].startswith("quiz.ipynb: not a valid notebook (")
    assert intake.notes[1] == "other.ipynb: not in the submission; scored 0"


def test_two_candidate_notebooks_are_not_guessed_between(tmp_path):
    nbformat.write(notebook_with("ex1"), tmp_path / "a.ipynb")
    nbformat.write(notebook_with("ex1"), tmp_path / "b.ipynb")
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1"}})
    assert intake.unusable == ["quiz.ipynb"] and not (tmp_path / "quiz.ipynb").exists()


def test_links_and_special_files_are_listed_and_never_read(tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}-secret.ipynb"
    nbformat.write(notebook_with("ex1"), secret)
    folder = tmp_path / "quiz"
    (folder / "data").mkdir(parents=True)
    (folder / "quiz.ipynb").symlink_to(secret)
    (folder / "data" / "peer.csv").symlink_to(secret)
    (folder / "shared").symlink_to(tmp_path.parent, target_is_directory=True)
    os.mkfifo(folder / "data" / "pipe")
    (folder / "data" / "real.csv").write_text("1,2")
    intake = inspect(folder, {"quiz.ipynb": {"ex1"}})
    assert intake.set_aside == ["data/peer.csv", "data/pipe", "quiz.ipynb", "shared"]
    assert intake.unusable == ["quiz.ipynb"] and not intake.gradable
    assert intake.notes[0] == ("links and special files are not followed: data/peer.csv, data/pipe, quiz.ipynb, "
                               "shared (left out of grading)")


def test_a_notebook_over_the_byte_limit_is_not_read(tmp_path, monkeypatch):
    nbformat.write(notebook_with("ex1"), tmp_path / "quiz.ipynb")
    monkeypatch.setattr("autograder.intake.read_notebook", lambda path: pytest.fail("the notebook was parsed"))
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1"}}, IntakeLimits(notebook_bytes=100))
    assert intake.unusable == ["quiz.ipynb"]
    size = (tmp_path / "quiz.ipynb").stat().st_size
    assert intake.notes == [f"quiz.ipynb: {size} bytes, over the 100 bytes limit for a notebook; not read, scored 0, "
                            "file kept as submitted"]


def test_cells_over_the_cell_limit_are_left_out_of_a_trimmed_copy(tmp_path):
    notebook = notebook_with("ex1")
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell("#" * 5000))
    nbformat.write(notebook, tmp_path / "quiz.ipynb")
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1"}}, IntakeLimits(cell_bytes=4096))
    assert intake.gradable == ["quiz.ipynb"]
    trimmed = intake.trimmed["quiz.ipynb"]
    assert trimmed.cells[0].source == "[autograder: this cell held 4.88 KiB, over the 4 KiB limit; it was left out]"
    assert trimmed.cells[1].source == "x = 1"
    assert intake.notes == ["quiz.ipynb: cells 1 over the 4 KiB cell limit were left out; the rest was graded"]
    assert len((tmp_path / "quiz.ipynb").read_text()) > 5000  # the student's file is kept as handed in


def test_file_names_in_notes_have_control_characters_escaped(tmp_path):
    nbformat.write(notebook_with("ex1"), tmp_path / "quiz\x1b[2J.ipynb")
    intake = inspect(tmp_path, {"quiz.ipynb": {"ex1"}})
    assert intake.notes == ["quiz.ipynb: submitted as quiz\\x1b[2J.ipynb; graded under the expected name"]
