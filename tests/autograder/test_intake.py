"""Inspecting a submission folder before grading: renamed, invalid and missing notebooks."""

import nbformat

from autograder.intake import inspect


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
