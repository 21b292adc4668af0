"""The feedback exporter writes the same pages as nbconvert's HTMLExporter, doing the shared work once."""

import copy
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from jinja2 import Environment
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
    """Lesson 3's source notebook, with its stored outputs (figures among them)."""
    return nbformat.read(LESSON, as_version=4)


def without_images(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`notebook` with only its printed outputs."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if output.output_type == "stream"]
    return notebook


def test_a_page_without_images_is_the_same_document_and_skips_the_accessibility_pass(lesson, monkeypatch):
    passes = []
    monkeypatch.setattr(feedback_export, "_accessible", lambda html: passes.append(html) or html)
    stock, ours = pages(without_images(lesson))
    assert passes == []
    assert same_document(stock, ours)


@pytest.mark.parametrize("markup", ['<IMG SRC="data:image/png;base64,iVBORw0KGgo=">',
                                    '<div class="jp-Notebook"><div class="jp-Cell-inputWrapper">x</div></div>'])
def test_what_the_accessibility_pass_changes_still_gets_it(lesson, markup):
    notebook = without_images(lesson)
    notebook.cells.append(nbformat.v4.new_markdown_cell(markup))
    stock, ours = pages(notebook)
    assert same_document(stock, ours)
    assert 'alt="No description has been provided for this image"' in ours or 'tabindex="0"' in ours


def test_images_in_outputs_get_their_alt_text(lesson):
    stock, ours = pages(lesson)
    assert 'alt="No description has been provided for this image"' in ours
    assert same_document(stock, ours)


def test_a_second_page_compiles_no_template_and_highlights_only_its_new_code(lesson, monkeypatch):
    render(FeedbackHTMLExporter, lesson)
    highlighted = dict(feedback_export._HIGHLIGHTED.html)
    assert len(highlighted) >= len({cell.source for cell in lesson.cells if cell.cell_type == "code"})
    compiled, highlights = [], []
    monkeypatch.setattr(Environment, "compile", lambda *args, **kwargs: compiled.append(args[1]))
    original = feedback_export.Highlight2HTML.__call__
    monkeypatch.setattr(feedback_export.Highlight2HTML, "__call__",
                        lambda self, source, *args: highlights.append(source) or original(self, source, *args))
    edited = copy.deepcopy(lesson)
    answer = next(cell for cell in edited.cells if cell.cell_type == "code")
    answer.source += "\nprint('an answer no other page has')"
    second = render(FeedbackHTMLExporter, edited)
    assert compiled == [] and highlights == [answer.source]
    assert "an answer no other page has" in BeautifulSoup(second, features="html.parser").get_text()


def test_highlighters_with_other_settings_do_not_share_html():
    stock = feedback_export.Highlight2HTML(pygments_lexer="ipython3")

    class Marked(feedback_export.Highlight2HTML):
        def __call__(self, source, language=None, metadata=None):
            return "<marked/>"

    source = "x = 1  # highlighted by two highlighters"
    first = feedback_export._RememberedHighlight(stock)(source)
    assert feedback_export._RememberedHighlight(Marked(pygments_lexer="ipython3"))(source) == "<marked/>"
    assert "highlight" in first
