"""One rule for warnings, shared by grading and by nbgrader's Validate: warning-only stderr is not a failure.

nbgrader scores a test cell 0, and its Validate step (the JupyterLab button and `nbgrader
validate`) reports it as failing, when the cell wrote anything to stderr. Correct code can make
torch print a UserWarning there. `DropWarningOutput` removes stderr outputs that are warnings
before anything is scored; errors are error outputs and always count. The grading chain lists it
after execution; nbgrader's Validator has a fixed chain that no configuration reaches, so
`validate_like_grading` appends the same step to that chain's default.
"""

import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.validator import Validator

# What Python's warnings module prints: "<file>:<line>: UserWarning: <message>".
WARNING_OUTPUT = re.compile(r"\w*Warning: ")


def is_warning_output(output: NotebookNode) -> bool:
    """A stderr stream output that carries a Python warning."""
    return output.output_type == "stream" and output.get("name") == "stderr" and bool(
        WARNING_OUTPUT.search(output.get("text", "")))


class DropWarningOutput(NbGraderPreprocessor):
    """Remove warning-only stderr outputs from code cells, so that only errors fail a test."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        """Drop the cell's warning outputs."""
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if not is_warning_output(output)]
        return cell, resources


def validate_like_grading() -> None:
    """Make nbgrader's Validator run DropWarningOutput after it executes a notebook, as grading does."""
    trait = Validator.class_traits()["preprocessors"]
    chain = list(trait.default_args[0])
    if DropWarningOutput not in chain:
        trait.default_args = ([*chain, DropWarningOutput],)
