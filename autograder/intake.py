"""Look at a submission folder before grading: which notebooks can be graded, and why not.

Runs in the worker and never executes student code. Handles notebooks that are missing,
renamed (graded under the expected name, the student's file kept), not notebooks at all (left
untouched and scored 0), or too large (over the byte budget: not parsed; cells over the cell
budget: left out of a trimmed copy that is graded instead). Links and special files (FIFOs,
devices) anywhere in the folder are never followed: they are listed to be set aside while
grading, so neither nbgrader nor the kernel reads what they point to.
"""

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from traitlets import Integer
from traitlets.config import Configurable

from autograder.notes import printable


class IntakeLimits(Configurable):
    """How much of a submitted notebook the grader reads (`c.IntakeLimits.*` in nbgrader_config.py)."""

    notebook_bytes = Integer(32 * 2**20, help="Largest notebook file read at all; a larger one scores 0 "
                             "unparsed.").tag(config=True)
    cell_bytes = Integer(2**20, help="Largest cell (source and attachments) kept; a larger cell is left out "
                         "of what is graded.").tag(config=True)


@dataclass
class Intake:
    """What grading one submission should do, and the notes explaining it."""

    gradable: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)  # links and special files, relative to the folder
    trimmed: dict[str, nbformat.NotebookNode] = field(default_factory=dict)  # graded in place of the file


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


def links_and_special_files(folder: Path) -> list[str]:
    """Paths (relative to `folder`) of every link, FIFO, socket or device beneath it; links not followed."""
    found = []
    for directory, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = Path(directory, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(str(path.relative_to(folder)))
        folders[:] = [name for name in folders if not Path(directory, name).is_symlink()]
    return sorted(found)


def _size(count: int) -> str:
    """A byte count as people read it: 100 bytes, 4 KiB, 3.2 MiB."""
    if count >= 2**20:
        return f"{count / 2**20:.3g} MiB"
    return f"{count / 2**10:.3g} KiB" if count >= 2**10 else f"{count} bytes"


def _cell_bytes(cell: nbformat.NotebookNode) -> int:
    attachments = cell.get("attachments") or {}
    return len(cell.get("source", "").encode()) + sum(len(str(item)) for item in attachments.values())


def trim_cells(notebook: nbformat.NotebookNode, limit: int) -> list[int]:
    """Replace cells larger than `limit` bytes by a one-line marker; return their positions (from 1)."""
    trimmed = []
    for position, cell in enumerate(notebook.cells, start=1):
        size = _cell_bytes(cell)
        if size > limit:
            marker = f"[autograder: this cell held {_size(size)}, over the {_size(limit)} limit; it was left out]"
            cell.source = f"# {marker}" if cell.cell_type == "code" else marker
            cell.pop("attachments", None)
            trimmed.append(position)
    return trimmed


def inspect(folder: Path, expected: dict[str, set[str]], limits: IntakeLimits | None = None) -> Intake:
    """Check `folder` against the expected notebooks (file name -> their grade ids)."""
    limits = limits or IntakeLimits()
    intake = Intake(set_aside=links_and_special_files(folder))
    if intake.set_aside:
        shown = ", ".join(printable(path) for path in intake.set_aside[:5])
        more = f" and {len(intake.set_aside) - 5} more" if len(intake.set_aside) > 5 else ""
        intake.notes.append(f"links and special files are not followed: {shown}{more} (left out of grading)")
    linked = set(intake.set_aside)
    present = {path.name: path for path in folder.glob("*.ipynb") if path.name not in linked}
    strays = {name: path for name, path in present.items() if name not in expected}
    for name, grade_ids in expected.items():
        path = folder / name
        if name not in present:
            matches = [p for p in strays.values() if p.stat().st_size <= limits.notebook_bytes
                       and (nb := read_notebook(p)[0]) and _grade_ids(nb) & grade_ids]
            if len(matches) == 1 and name not in linked:
                shutil.copyfile(matches[0], path)
                strays.pop(matches[0].name)
                intake.notes.append(f"{name}: submitted as {printable(matches[0].name)}; graded under the expected "
                                    "name")
                present[name] = path
            else:
                intake.unusable.append(name)
                intake.notes.append(f"{name}: not in the submission; scored 0")
                continue
        size = path.stat().st_size
        if size > limits.notebook_bytes:
            intake.unusable.append(name)
            intake.notes.append(f"{name}: {_size(size)}, over the {_size(limits.notebook_bytes)} limit for a "
                                "notebook; not read, scored 0, file kept as submitted")
            continue
        notebook, reason = read_notebook(path)
        if notebook is None:
            intake.unusable.append(name)
            intake.notes.append(f"{name}: not a valid notebook ({printable(reason)}); scored 0, file kept as "
                                "submitted")
            continue
        trimmed = trim_cells(notebook, limits.cell_bytes)
        if trimmed:
            intake.trimmed[name] = notebook
            intake.notes.append(f"{name}: cells {', '.join(map(str, trimmed))} over the {_size(limits.cell_bytes)} "
                                "cell limit were left out; the rest was graded")
        if not _grade_ids(notebook) & grade_ids:
            intake.notes.append(f"{name}: none of the assignment's cells are left; graded with its tests put back")
        intake.gradable.append(name)
    return intake
