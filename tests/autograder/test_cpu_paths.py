"""The demo class gets its golden scores when graded on the AVX2 path and on the baseline CPU path.

Grades must not depend on the host's CPU. Every submission is graded once on each forced path;
a probe submission prints the CPU capability its grading kernel saw, so the test knows the
variables reached the sandboxed kernels.
"""

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from autograder.demo import build_demo_class, fill_answers, load_roster, solution_sources
from autograder.grading import find_submissions, grade_submissions
from autograder.release import release
from autograder.report import exercise_scores, submission_scores

GOLDEN = Path(__file__).parent / "golden"
DEMO = Path(__file__).resolve().parents[2] / "autograder" / "demo_class"
CPU_PATHS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "baseline": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
CAPABILITY = {"avx2": "AVX2", "baseline": "DEFAULT"}
PROBE = "probe"
PROBE_LINE = "import torch as _t; print('cpu capability:', _t.backends.cpu.get_cpu_capability())\n"


def _add_probe(course) -> None:
    """A correct lesson-1 submission whose first answer also prints the kernel's CPU capability."""
    source = course.source_notebooks("01-tensors")[0]
    answers = solution_sources(source)
    answers["ex1-broadcast-shape"] = PROBE_LINE + answers["ex1-broadcast-shape"]
    folder = course.folder("submitted") / PROBE / "01-tensors"
    folder.mkdir(parents=True)
    nbformat.write(fill_answers(course.folder("release") / "01-tensors" / source.name, answers),
                   folder / source.name)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")


def _probe_capability(course) -> str:
    notebook = nbformat.read(course.folder("autograded") / PROBE / "01-tensors" / "tensors.ipynb", as_version=4)
    for cell in notebook.cells:
        for output in getattr(cell, "outputs", []):
            if output.get("name") == "stdout" and "cpu capability:" in output.text:
                return output.text.split("cpu capability:")[1].split()[0]
    return "no probe output"


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xdist_group(f"demo-class-{p}"))
                                  for p in sorted(CPU_PATHS)])
def test_demo_class_gets_its_golden_scores_on_cpu_path(path, tmp_path, course_copier, monkeypatch):
    for name, value in CPU_PATHS[path].items():
        monkeypatch.setenv(name, value)  # grading workers and their sandboxed kernels inherit these
    course = course_copier(tmp_path / "course")
    release(course)
    build_demo_class(course, course.root / "autograder" / "demo_class")
    _add_probe(course)
    outcomes = grade_submissions(course, find_submissions(course), progress=False, workers=2)
    assert [o.status for o in outcomes] == ["graded"] * len(outcomes)
    assert _probe_capability(course) == CAPABILITY[path]
    actual = exercise_scores(course)
    actual = actual[actual["student"] != PROBE].reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, pd.read_csv(GOLDEN / "demo-exercise-scores.csv"))
    scores = submission_scores(course).set_index(["student", "assignment"])["score"]
    for student in load_roster(DEMO / "roster.toml"):
        for assignment, expected in student.expected.items():
            assert scores[(student.id, assignment)] == expected, (path, student.id, assignment)
