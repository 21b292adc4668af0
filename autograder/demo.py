"""The demo class: build submissions from a roster so the whole pipeline can be run and tested."""

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import Course

SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
ANSWER_BLOCK = re.compile(r"^# %% (\S+)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class DemoStudent:
    """One student of the demo class and the scores the tests expect for them."""

    id: str
    about: str
    answers: str  # "solutions", "blank" or "files"
    expected: dict[str, float] = field(default_factory=dict)


def load_roster(path: Path) -> list[DemoStudent]:
    """Read the demo class roster (TOML, one [[student]] table each)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    students = [DemoStudent(**entry) for entry in data["student"]]
    for student in students:
        if student.answers not in {"solutions", "blank", "files"}:
            raise ValueError(f"{path}: student {student.id} has unknown answers '{student.answers}'")
    return students


def solution_sources(source_notebook: Path) -> dict[str, str]:
    """Map grade_id to the instructor's answer for each solution cell, with the markers removed."""
    notebook = nbformat.read(source_notebook, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKER.sub("", cell.source)
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def answer_file_sources(answer_file: Path) -> dict[str, str]:
    """Map grade_id to source for each '# %% <grade_id>' block of a demo answer file."""
    parts = ANSWER_BLOCK.split(answer_file.read_text())
    return {grade_id: body.strip("\n") + "\n" for grade_id, body in zip(parts[1::2], parts[2::2], strict=True)}


def fill_answers(release_notebook: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with the given answers written into its solution cells."""
    notebook = nbformat.read(release_notebook, as_version=4)
    solution_ids = {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    unknown = set(answers) - set(solution_ids)
    if unknown:
        raise ValueError(f"{release_notebook.name}: no solution cell named {sorted(unknown)}")
    for grade_id, source in answers.items():
        solution_ids[grade_id].source = source.rstrip("\n")
    return notebook


def build_demo_class(course: Course, demo_folder: Path) -> list[tuple[str, str]]:
    """Write the roster's submissions into the submitted folder; return the (student, assignment) pairs."""
    submitted = course.folder("submitted")
    written = []
    for student in load_roster(demo_folder / "roster.toml"):
        shutil.rmtree(submitted / student.id, ignore_errors=True)
        for assignment in course.assignments():
            answer_file = demo_folder / assignment / f"{student.id}.py"
            if student.answers == "files" and not answer_file.is_file():
                continue  # this student did not hand this assignment in
            target = submitted / student.id / assignment
            target.mkdir(parents=True)
            for source_nb in course.source_notebooks(assignment):
                if student.answers == "solutions":
                    answers = solution_sources(source_nb)
                elif student.answers == "files":
                    answers = answer_file_sources(answer_file)
                else:
                    answers = {}
                release_nb = course.folder("release") / assignment / source_nb.name
                nbformat.write(fill_answers(release_nb, answers), target / source_nb.name)
            (target / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
            written.append((student.id, assignment))
    return written
