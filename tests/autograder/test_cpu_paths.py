"""The demo class gets its golden scores when graded on the AVX2 path and on the baseline CPU path.

Grades must not depend on the host's CPU. Every submission is graded once on each forced path;
a probe submission prints the CPU capability its grading kernel saw, so the test knows the
variables reached the sandboxed kernels. One class per path: pytest-xdist (`--dist loadscope`)
grades the two paths on different workers.
"""

import shutil
from pathlib import Path

import nbformat
import pandas as pd

from autograder.course import CPU_PATHS
from autograder.demo import build_demo_class, fill_answers, load_roster, solution_sources
from autograder.grading import find_submissions, grade_submissions
from autograder.release import release
from autograder.report import exercise_scores, submission_scores

GOLDEN = Path(__file__).parent / "golden"
DEMO = Path(__file__).resolve().parents[2] / "autograder" / "demo_class"
CAPABILITY = {"avx2": "AVX2", "baseline": "DEFAULT"}
PROBE = "probe"
PROBE_LINE = "import torch as _t; print('cpu capability:', _t.backends.cpu.get_cpu_capability())\n"
# A blank submission scores 0 on every path by construction (every answer raises NotImplementedError
# before any float is computed), so it is graded natively only; this keeps CI's two longest tests shorter.
PATH_INDEPENDENT = "cleo"


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


class _GradedOnCpuPath:
    path = ""

    def test_demo_class_gets_its_golden_scores(self, tmp_path, course_copier, monkeypatch):
        """Grade every demo submission (and the probe) with the path forced; compare with the golden file."""
        for name, value in CPU_PATHS[self.path].items():
            monkeypatch.setenv(name, value)  # the sandboxed grading kernels inherit these
        course = course_copier(tmp_path / "course")
        release(course)
        build_demo_class(course, course.root / "autograder" / "demo_class")
        shutil.rmtree(course.folder("submitted") / PATH_INDEPENDENT)
        _add_probe(course)
        # One grading kernel at a time: the other xdist worker keeps the second core busy, and an
        # oversubscribed machine pushes the demo class's slowest cell towards its 60 s limit.
        outcomes = grade_submissions(course, find_submissions(course), progress=False, workers=1)
        assert [o.status for o in outcomes] == ["graded"] * len(outcomes)
        assert _probe_capability(course) == CAPABILITY[self.path]
        actual = exercise_scores(course)
        actual = actual[actual["student"] != PROBE].reset_index(drop=True)
        golden = pd.read_csv(GOLDEN / "demo-exercise-scores.csv")
        golden = golden[golden["student"] != PATH_INDEPENDENT]
        keys = ["student", "assignment", "notebook", "exercise"]
        both = golden.merge(actual, on=keys, how="outer", suffixes=("_golden", f"_{self.path}"), indicator=True)
        differ = both[(both["_merge"] != "both") | (both["score_golden"] != both[f"score_{self.path}"])]
        assert differ.empty, f"scores on the {self.path} path differ from the golden file:\n{differ.to_string()}"
        scores = submission_scores(course).set_index(["student", "assignment"])["score"]
        for student in load_roster(DEMO / "roster.toml"):
            if student.id == PATH_INDEPENDENT:
                continue
            for assignment, expected in student.expected.items():
                assert scores[(student.id, assignment)] == expected, (self.path, student.id, assignment)


class TestAvx2Path(_GradedOnCpuPath):
    path = "avx2"


class TestBaselinePath(_GradedOnCpuPath):
    path = "baseline"
