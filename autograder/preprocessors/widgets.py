"""Student versions carry no widget state: their outputs are cleared, so the saved state only describes nothing.

Executing a source notebook with progress bars stores the widgets' models in the notebook's metadata;
nbgrader copies it into the student version, every submission then hands it back, and grading
removes it again with a note on every submission. Dropping it at release keeps those notes for
submissions that really carry widget state of their own.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


class ClearWidgetState(NbGraderPreprocessor):
    """Remove the notebook's saved widget state (metadata["widgets"])."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Drop the widget state; cells are left as they are."""
        nb.metadata.pop("widgets", None)
        return nb, resources
