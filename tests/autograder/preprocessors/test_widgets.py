"""Student versions are released without the widget state their source notebooks stored."""

from pathlib import Path

import nbformat

from autograder.preprocessors.widgets import ClearWidgetState

REPO = Path(__file__).resolve().parents[3]
STATE = {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {"model_name": "FloatProgressModel"}}}}


def test_the_widget_state_goes_and_the_cells_stay():
    """The notebook's widgets metadata is removed; cells and other metadata are untouched."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    notebook.metadata.update(widgets=STATE, kernelspec={"name": "python3"})
    cleaned, _ = ClearWidgetState().preprocess(notebook, {})
    assert "widgets" not in cleaned.metadata
    assert cleaned.metadata.kernelspec == {"name": "python3"}
    assert [cell.source for cell in cleaned.cells] == ["print(1)"]


def test_no_committed_student_version_carries_widget_state():
    """Source notebooks may store progress-bar state; none of it reaches notebooks/."""
    for path in sorted((REPO / "notebooks").glob("*/*.ipynb")):
        assert "widgets" not in nbformat.read(path, as_version=4).metadata, path.name
