"""The feedback exporter writes the same pages as nbconvert's HTMLExporter, doing the shared work once."""

import copy
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.converters import GenerateFeedback
from traitlets.config import Config

from autograder import feedback_export
from autograder.feedback_export import FeedbackHTMLExporter

REPO = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
LESSON = REPO / "solutions" / "03-softmax-regression" / "softmax_regression.ipynb"


def exporter_config() -> Config:
    """The HTMLExporter settings nbgrader's GenerateFeedback gives its exporter (the feedback template)."""
    return GenerateFeedback(config=Config()).config


def render(exporter_class: type[HTMLExporter], notebook: nbformat.NotebookNode) -> str:
    """The feedback page for `notebook`, with the grades GetGrades would add."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata.nbgrader["score"] = cell.metadata.nbgrader["points"] / 2
    resources = {"nbgrader": {"notebook": LESSON.stem, "score": 4.5, "max_score": 9, "late_penalty": 0}}
    page, _ = exporter_class(config=exporter_config()).from_notebook_node(notebook, resources)
    return page


def pages(notebook: nbformat.NotebookNode) -> tuple[str, str]:
    """The page from stock nbconvert and from the feedback exporter."""
    return render(HTMLExporter, notebook), render(FeedbackHTMLExporter, notebook)


def same_document(stock: str, ours: str) -> bool:
    """Whether both pages parse to the same document (stock nbconvert re-serializes its page through bs4).

    The templates give some outputs a fresh uuid4 as element id on every render.
    """
    ours = str(BeautifulSoup(ours, features="html.parser"))
    return UUID.sub("<uuid>", ours) == UUID.sub("<uuid>", stock)


@pytest.fixture(scope="module")
def lesson() -> nbformat.NotebookNode:
    return nbformat.read(LESSON, as_version=4)


def test_a_page_without_images_is_the_same_document_and_skips_the_accessibility_pass(lesson, monkeypatch):
    without_images = copy.deepcopy(lesson)
    for cell in without_images.cells:
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if output.output_type == "stream"]
    passes = []
    monkeypatch.setattr(feedback_export, "accessible", lambda html: passes.append(html) or html)
    stock, ours = pages(without_images)
    assert passes == [] and "<img" not in ours
    assert same_document(stock, ours)


def test_images_still_get_their_alt_text(lesson):
    stock, ours = pages(lesson)
    assert 'alt="No description has been provided for this image"' in ours
    assert same_document(stock, ours)


def test_a_second_page_reuses_compiled_templates_and_highlighted_code(lesson):
    first = render(FeedbackHTMLExporter, lesson)
    compiled, highlighted = dict(feedback_export._COMPILED_TEMPLATES.code), dict(feedback_export._HIGHLIGHTED)
    code_cells = sum(cell.cell_type == "code" for cell in lesson.cells)
    assert compiled and len(highlighted) >= len({cell.source for cell in lesson.cells if cell.cell_type == "code"})
    edited = copy.deepcopy(lesson)
    answer = next(cell for cell in edited.cells if cell.cell_type == "code")
    answer.source += "\nprint('an answer no other page has')"
    second = render(FeedbackHTMLExporter, edited)
    assert feedback_export._COMPILED_TEMPLATES.code == compiled
    assert len(feedback_export._HIGHLIGHTED) == len(highlighted) + 1 < code_cells + len(highlighted)
    assert "an answer no other page has" in BeautifulSoup(second, features="html.parser").get_text()
    assert first != second
