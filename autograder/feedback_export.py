"""The feedback pages' exporter: nbconvert's HTML exporter, doing once per worker what every page repeats.

A lesson's feedback pages differ between students only in the answer and test cells, yet nbconvert
recompiles its templates, re-highlights every code cell and re-parses the whole page for each one
(about 0.8 s of a submission's 1 s of feedback). `FeedbackHTMLExporter` keeps the compiled templates
and the highlighted HTML of each code source for the life of the worker, and runs nbconvert's
accessibility pass (alt text for images, focusable cells) only on a page that holds what it changes.
The page is the same document: `tests/autograder/test_feedback_export.py` compares it with stock
nbconvert's after both are parsed.
"""

from typing import Any

from bs4 import BeautifulSoup
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

HIGHLIGHTS_KEPT = 8192  # distinct code sources per worker: every lesson cell, and the latest answers
# What nbconvert's accessibility pass changes: images without alt text, and JupyterLab-template cells.
ACCESSIBILITY_MARKERS = ("<img", "jp-Cell-inputWrapper", "jp-OutputArea-output")


class _CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates in memory, keyed by template and checked against its source."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill `bucket` with the template's compiled code, if it was compiled before."""
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the template's compiled code."""
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()
_HIGHLIGHTED: dict[tuple, str] = {}


class _RememberedHighlight:
    """nbconvert's code highlighter, remembering the HTML it gave for each source."""

    def __init__(self, highlight: Highlight2HTML) -> None:
        self.highlight = highlight
        self.settings = (highlight.pygments_lexer, repr(sorted(highlight.extra_formatter_options.items())))

    def __call__(self, source: str, language: str | None = None, metadata: dict | None = None) -> str:
        """The highlighted HTML of `source`, as `Highlight2HTML` gives it."""
        key = (*self.settings, language, (metadata or {}).get("magics_language"), source)
        if key not in _HIGHLIGHTED:
            if len(_HIGHLIGHTED) >= HIGHLIGHTS_KEPT:
                _HIGHLIGHTED.clear()
            _HIGHLIGHTED[key] = self.highlight(source, language, metadata)
        return _HIGHLIGHTED[key]


def accessible(html: str) -> str:
    """nbconvert's accessibility pass over an HTML page: alt text for images, focusable inputs and outputs."""
    soup = BeautifulSoup(html, features="html.parser")
    for element in soup.select("img:not([alt])"):
        element.attrs["alt"] = "No description has been provided for this image"
    for element in soup.select(".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output"):
        element.attrs["tabindex"] = "0"
    return str(soup)


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter with templates compiled and code highlighted once per worker; same pages."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED_TEMPLATES
        return environment

    def from_notebook_node(self, nb: NotebookNode, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        """The page for `nb`, as `HTMLExporter.from_notebook_node` (nbconvert 7) renders it."""
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        highlight = self.filters.get("highlight_code") or Highlight2HTML(pygments_lexer=lexer, parent=self)
        if isinstance(highlight, Highlight2HTML):
            highlight = _RememberedHighlight(highlight)
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                        parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        if any(marker in html for marker in ACCESSIBILITY_MARKERS):
            html = accessible(html)
        return html, resources
