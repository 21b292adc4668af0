"""A failed test cell scores 0, whatever result it also showed.

nbgrader scores a test cell by the first of its outputs that is an error, stderr text or a result
(`execute_result`), and gives full points for a result that is not a number. Student code called
by a test can show a result (`get_ipython().displayhook("x")`) before the test fails, and the
grader appends its own errors (time limit, dead kernel, failed integrity check) after everything
the cell showed. Runs after SandboxedExecute and IgnorePattern: in a test cell that holds an error
or stderr output, every result becomes a plain display, so it cannot count as partial credit.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.preprocessors.execute import is_test_cell


def failed(output: NotebookNode) -> bool:
    """An output nbgrader scores as a failure: an error, or text on stderr."""
    return output.get("output_type") == "error" or (output.get("output_type") == "stream"
                                                    and output.get("name") == "stderr")


class ErrorsOutrankResults(NbGraderPreprocessor):
    """In a failed test cell, results are shown as plain displays and never score."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        """Demote the results of a test cell that failed."""
        if is_test_cell(cell) and any(failed(output) for output in cell.get("outputs", [])):
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output.output_type = "display_data"
                    output.pop("execution_count", None)
        return cell, resources
