"""Look at a submission folder before grading: which notebooks can be graded, and why not.

Runs in the grader process and never executes student code. Handles notebooks that are
missing, renamed (graded under the expected name, the student's file kept), or not notebooks
at all (left untouched and scored 0).
"""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


@dataclass
class Intake:
    """What grading one submission should do, and the notes explaining it."""

    gradable: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at `path`, or None and a one-line reason it is not a valid notebook."""
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        return notebook, ""
    except UnicodeDecodeError:
        return None, "not a text file"
    except Exception as error:  # nbformat raises several kinds; any of them means unusable
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, reason[:160]


def _grade_ids(notebook: nbformat.NotebookNode) -> set[str]:
    return {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells} - {None}


def inspect(folder: Path, expected: dict[str, set[str]]) -> Intake:
    """Check `folder` against the expected notebooks (file name -> their grade ids)."""
    intake = Intake()
    present = {path.name: path for path in folder.glob("*.ipynb")}
    strays = {name: path for name, path in present.items() if name not in expected}
    for name, grade_ids in expected.items():
        path = folder / name
        if not path.exists():
            matches = [p for p in strays.values() if (nb := read_notebook(p)[0]) and _grade_ids(nb) & grade_ids]
            if len(matches) == 1:
                shutil.copyfile(matches[0], path)
                strays.pop(matches[0].name)
                intake.notes.append(f"{name}: submitted as {matches[0].name}; graded under the expected name")
                intake.gradable.append(name)
            else:
                intake.unusable.append(name)
                intake.notes.append(f"{name}: not in the submission; scored 0")
            continue
        notebook, reason = read_notebook(path)
        if notebook is None:
            intake.unusable.append(name)
            intake.notes.append(f"{name}: not a valid notebook ({reason}); scored 0, file kept as submitted")
        elif not _grade_ids(notebook) & grade_ids:
            intake.notes.append(f"{name}: none of the assignment's cells are left; graded with its tests put back")
            intake.gradable.append(name)
        else:
            intake.gradable.append(name)
    return intake
