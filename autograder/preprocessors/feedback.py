"""Student feedback for hidden tests: points and the message, never source, traceback or prints.

Runs in nbgrader's feedback chain after GetGrades. A hidden test's outputs (which could carry
its source in a traceback, or anything student code printed while it ran) are replaced by one
line: a tick and the points, or a cross, the points and the error's message, shortened.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer

_ANSI = __import__("re").compile(r"\x1b\[[0-9;]*m")


class PointsAndMessages(NbGraderPreprocessor):
    """Replace each autograded test cell's outputs with its points and error message."""

    message_length = Integer(300, help="Longest error message shown to students.").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        """One line per test cell; other cells are left alone."""
        if cell.cell_type != "code" or not is_grade(cell) or is_solution(cell):
            return cell, resources
        nbgrader = cell.metadata.get("nbgrader", {})
        score, points = nbgrader.get("score"), nbgrader.get("points", 0)
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if errors:
            error = errors[-1]
            message = _ANSI.sub("", f"{error.get('ename', 'Error')}: {error.get('evalue', '')}").strip(" :")
            if len(message) > self.message_length:
                message = message[: self.message_length - 1] + "…"
            text = f"✗ {score:g} / {points:g} points — {message}\n" if score is not None else f"✗ {message}\n"
        else:
            text = f"✓ {score:g} / {points:g} points\n" if score is not None else "✓ passed\n"
        cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=text)]
        return cell, resources
