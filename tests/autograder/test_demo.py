from pathlib import Path

import nbformat
import pytest

from autograder.demo import (
    answer_file_sources,
    build_demo_class,
    fill_answers,
    load_roster,
    solution_sources,
)

DEMO = Path(__file__).resolve().parents[2] / "autograder" / "demo_class"


def test_roster_lists_each_kind_of_student():
    students = load_roster(DEMO / "roster.toml")
    kinds = {s.answers for s in students}
    assert kinds == {"solutions", "blank", "files"}
    assert len({s.id for s in students}) == len(students)
    assert all(s.expected for s in students)


def test_roster_rejects_unknown_answer_kind(tmp_path):
    roster = tmp_path / "roster.toml"
    roster.write_text('[[student]]\nid = "x"\nabout = ""\nanswers = "copied"\n')
    with pytest.raises(ValueError, match="unknown answers 'copied'"):
        load_roster(roster)


def test_solution_sources_strip_only_the_markers(repo_course):
    sources = solution_sources(repo_course.source_notebooks("01-tensors")[0])
    assert "return x - x.mean(dim=1, keepdim=True)" in sources["ex2-center-rows"]
    assert all("### BEGIN" not in s and "### END" not in s for s in sources.values())
    assert sources["ex2-center-rows"].startswith("def center_rows(x):")


def test_answer_file_blocks(tmp_path):
    answers = tmp_path / "s.py"
    answers.write_text("# %% first\nx = 1\n\n# %% second\ny = 2\n")
    assert answer_file_sources(answers) == {"first": "x = 1\n", "second": "y = 2\n"}


def test_fill_answers_rejects_unknown_cells(repo_course):
    release_nb = repo_course.folder("release") / "01-tensors" / "tensors.ipynb"
    with pytest.raises(ValueError, match="no solution cell named"):
        fill_answers(release_nb, {"no-such-cell": "pass"})


def test_build_demo_class_writes_every_submission(course_copy):
    pairs = build_demo_class(course_copy, course_copy.root / "autograder" / "demo_class")
    students = load_roster(DEMO / "roster.toml")
    assert sorted(pairs) == sorted((s.id, a) for s in students for a in s.expected)
    blank = nbformat.read(course_copy.folder("submitted") / "cleo/01-tensors/tensors.ipynb", as_version=4)
    release = nbformat.read(course_copy.folder("release") / "01-tensors/tensors.ipynb", as_version=4)
    assert [c.source for c in blank.cells] == [c.source for c in release.cells]
