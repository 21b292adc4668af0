import json

import nbformat

from autograder.release import release, stale_notebooks


def test_committed_student_versions_are_current(repo_course):
    stale = stale_notebooks(repo_course)
    assert stale == [], f"notebooks/ is stale for {stale}: run `make release` and commit the result"


def test_student_versions_hold_no_answers_or_hidden_tests(repo_course):
    for assignment in repo_course.assignments():
        for notebook in (repo_course.folder("release") / assignment).glob("*.ipynb"):
            text = notebook.read_text()
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text, f"{notebook.name} contains '{marker}'"
            cells = nbformat.read(notebook, as_version=4).cells
            assert all(not getattr(cell, "outputs", []) for cell in cells), f"{notebook.name} has outputs"


def test_every_lesson_is_released(repo_course):
    released = {p.name for p in repo_course.folder("release").iterdir() if p.is_dir()}
    assert released == set(repo_course.assignments())


def test_an_edited_source_makes_the_student_version_stale(course_copy):
    source = course_copy.source_notebooks("01-tensors")[0]
    notebook = json.loads(source.read_text())
    notebook["cells"][0]["source"] = ["# A changed title\n"]
    source.write_text(json.dumps(notebook))
    assert stale_notebooks(course_copy) == ["01-tensors/tensors.ipynb"]
    release(course_copy, ["01-tensors"])
    assert stale_notebooks(course_copy) == []


def test_a_missing_student_version_is_reported(course_copy):
    (course_copy.folder("release") / "01-tensors" / "tensors.ipynb").unlink()
    assert stale_notebooks(course_copy) == ["01-tensors/tensors.ipynb"]
