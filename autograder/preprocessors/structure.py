"""Put deleted hidden-test cells back, and note every structural change a submission made.

Runs in the autograde sanitize chain before nbgrader's DeduplicateIds and OverwriteCells. A
deleted test cell is re-inserted from the gradebook after the nearest earlier cell the submission
still has, so the student is graded on it rather than silently scoring 0; edited test cells (which
OverwriteCells then replaces with the original) and added cells are noted for the report. Grading
metadata is rebuilt from the gradebook for every cell that names a known grade id: copies of a
cell (Jupyter's copy and paste repeats its grade id) keep only the first as graded, a cell handed
in as the wrong type (a test cell turned markdown) gets its type back, and metadata nbgrader would
reject (an old or unknown schema version, missing keys) is replaced, so that nbgrader's own
checks never fail the whole notebook.
"""

from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import compute_checksum

from autograder import notes


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def _retyped(cell: NotebookNode, cell_type: str) -> NotebookNode:
    """The same cell (source, metadata, id) as a `cell_type` cell."""
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    new = make(cell.source, metadata=cell.metadata)
    if "id" in cell:
        new.id = cell.id
    return new


class RestoreTestCells(NbGraderPreprocessor):
    """Re-insert deleted autograded test cells; note edited test cells and extra cells."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Compare the submission with the gradebook's copy of the source notebook."""
        info = resources["nbgrader"]
        name = f"{info['notebook']}.ipynb"
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            order = [cell.name for cell in sorted(notebook.source_cells, key=lambda cell: cell.id)]
            sources = {cell.name: cell for cell in notebook.source_cells}
            tests = {cell.name: cell.max_score for cell in notebook.grade_cells
                     if cell.name not in {s.name for s in notebook.solution_cells} and cell.cell_type == "code"}
            roles = {cell.name: {"grade": False, "solution": False, "locked": bool(cell.locked)}
                     for cell in notebook.source_cells}
            for cell in notebook.grade_cells:
                roles[cell.name].update(grade=True, points=cell.max_score)
            for cell in notebook.solution_cells:
                roles[cell.name]["solution"] = True
            for cell in notebook.task_cells:
                roles[cell.name].update(task=True, points=cell.max_score)
            cell_types = {cell.name: cell.cell_type for cell in notebook.source_cells}
        repaired, copies, retyped = self._repair_metadata(nb, roles, cell_types)
        if repaired:
            notes.add(f"{name}: edited grading metadata reset for: {', '.join(repaired)}")
        if copies:
            notes.add(f"{name}: repeated cells of {', '.join(sorted(set(copies)))} (copies) were run, not graded")
        if retyped:
            notes.add(f"{name}: cells handed in as the wrong type were graded as the instructor's type: "
                      f"{', '.join(retyped)}")
        given = self._release_cells(info, name)  # what the student was handed, hidden tests removed
        present = [_grade_id(cell) for cell in nb.cells]
        if given is not None:  # the student version has every graded cell in teaching order
            order = [g for g in given if g is not None] + [g for g in order if g not in given]
        restored, edited = [], []
        for grade_id in order:
            if grade_id not in tests:
                continue
            if grade_id in present:
                cell = nb.cells[present.index(grade_id)]
                if given is not None and grade_id in given and cell.source.strip() != given[grade_id].source.strip():
                    edited.append(grade_id)
                continue
            earlier = [g for g in order[:order.index(grade_id)] if g in present]  # in the notebook's order
            position = present.index(earlier[-1]) + 1 if earlier else 0
            nb.cells.insert(position, self._test_cell(sources[grade_id], tests[grade_id]))
            present.insert(position, grade_id)
            restored.append(grade_id)
        if restored:
            notes.add(f"{name}: deleted test cells put back and graded: {', '.join(restored)}")
        if edited:
            notes.add(f"{name}: edited test cells graded as originally written: {', '.join(edited)}")
        plain_given = len([c for c in given.get(None, [])]) if given is not None else None
        added = len([c for c in nb.cells if _grade_id(c) is None]) - (plain_given or 10**6)
        if added > 0:
            notes.add(f"{name}: {added} cells added by the student (run, not graded)")
        return nb, resources

    @staticmethod
    def _repair_metadata(nb: NotebookNode, roles: dict[str, dict],
                         cell_types: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
        """Give each known cell the role (grade, solution, locked, points) and type the gradebook
        records; strip grading metadata naming no known cell, and from all but one cell per grade id
        (the first of the right type). nbgrader trusts these flags and would fail or score the wrong
        cells otherwise. Returns the ids reset, the ids repeated, and the ids whose type was wrong."""
        keeper: dict[str, int] = {}
        for index, cell in enumerate(nb.cells):
            grade_id = _grade_id(cell)
            if grade_id in roles and (grade_id not in keeper or (
                    cell.cell_type == cell_types[grade_id] != nb.cells[keeper[grade_id]].cell_type)):
                keeper[grade_id] = index
        repaired, copies, retyped = [], [], []
        for index, cell in enumerate(nb.cells):
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            meta, grade_id = cell.metadata.nbgrader, _grade_id(cell)
            if grade_id not in roles or keeper[grade_id] != index:
                del cell.metadata["nbgrader"]
                if grade_id in roles:
                    copies.append(grade_id)
                elif meta:
                    repaired.append(str(grade_id))
                continue
            if cell.cell_type != cell_types[grade_id]:
                nb.cells[index] = cell = _retyped(cell, cell_types[grade_id])
                retyped.append(grade_id)
            wanted = {"grade": False, "solution": False, "locked": False, **roles[grade_id]}
            current = {key: meta.get(key, False) for key in ("grade", "solution", "locked")}
            for key, unset in (("points", None), ("task", False)):  # nbgrader writes `task: false` everywhere
                if key in wanted or meta.get(key, unset) != unset:
                    current[key] = meta.get(key, unset)
            if current != wanted or meta.get("schema_version") != 3:
                repaired.append(grade_id)
            rebuilt = NotebookNode(grade_id=grade_id, schema_version=3, cell_type=cell.cell_type, **wanted)
            if isinstance(meta.get("checksum"), str):
                rebuilt.checksum = meta["checksum"]
            cell.metadata.nbgrader = rebuilt
        return repaired, copies, retyped

    def _release_cells(self, info: dict, name: str) -> dict | None:
        """The student version's cells by grade id (None: the list of plain cells); None if not found."""
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"])) / name
        if not path.is_file():
            return None
        cells: dict = {None: []}
        for cell in nbformat.read(path, as_version=4).cells:
            if _grade_id(cell) is None:
                cells[None].append(cell)
            else:
                cells[_grade_id(cell)] = cell
        return cells

    @staticmethod
    def _test_cell(source_cell, points: float) -> NotebookNode:
        cell = NotebookNode(cell_type="code", execution_count=None, outputs=[], source=source_cell.source,
                            metadata=NotebookNode(deletable=False, editable=False, nbgrader=NotebookNode(
                                grade=True, solution=False, locked=True, grade_id=source_cell.name,
                                points=points, schema_version=3)))
        cell.metadata.nbgrader.checksum = compute_checksum(cell)
        return cell

