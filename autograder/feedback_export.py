"""The feedback pages' exporter: nbconvert's HTML exporter, doing once per worker what every page repeats.

A lesson's feedback pages differ between students only in the answer and test cells, yet nbconvert
recompiles its templates, re-highlights every code cell and re-parses the whole page for each one
(measured on lesson 3: 0.75 s of a page's 1 s). `FeedbackHTMLExporter` keeps the compiled templates
and the highlighted HTML of each code source for the life of the worker, and runs nbconvert's
accessibility pass (alt text for images, focusable cells) only on a page that holds what it changes.
The page is the same document: `tests/autograder/test_feedback_export.py` compares it with stock
nbconvert's after both are parsed.
"""

import re
from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

HIGHLIGHT_BUDGET = 32 * 2**20  # characters of highlighted HTML kept per worker: every lesson cell, recent answers
# What nbconvert's accessibility pass changes: images without alt text, and JupyterLab-template cells.
NEEDS_ACCESSIBILITY_PASS = re.compile(r"<img|jp-Cell-inputWrapper|jp-OutputArea-output", re.IGNORECASE)


class _CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates in memory, keyed by template and what compiling it depends on, checked
    against its source."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        """The bucket for a template; its key also holds the environment's async mode and which filters
        take the context, both compiled into the code."""
        passing = sorted((filter_name, str(getattr(function, "jinja_pass_arg", "")))
                         for filter_name, function in environment.filters.items())
        bucket = Bucket(environment, self.get_cache_key(repr((name, environment.is_async, passing)), filename),
                        self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill `bucket` with the template's compiled code, if it was compiled before."""
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the template's compiled code."""
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


class _Highlights:
    """Highlighted HTML by highlighter settings and source, all dropped at once past a size budget."""

    def __init__(self, budget: int) -> None:
        self.budget, self.size, self.html = budget, 0, {}

    def get(self, key: tuple[str, ...], highlight: Callable[[], str]) -> str:
        """The HTML kept for `key`, or `highlight()`'s, kept."""
        if key not in self.html:
            if self.size > self.budget:
                self.html.clear()
                self.size = 0
            self.html[key] = highlight()
            self.size += len(self.html[key]) + len(key[-1])
        return self.html[key]


_HIGHLIGHTED = _Highlights(HIGHLIGHT_BUDGET)


class _RememberedHighlight:
    """nbconvert's code highlighter, remembering the HTML it gave for each source."""

    def __init__(self, highlight: Highlight2HTML) -> None:
        self.highlight = highlight
        self.settings = (type(highlight).__qualname__, str(highlight.pygments_lexer),
                         repr(sorted(highlight.extra_formatter_options.items())))

    def __call__(self, source: str, language: str | None = None, metadata: dict | None = None) -> str:
        """The highlighted HTML of `source`, as `Highlight2HTML` gives it."""
        key = (*self.settings, str(language), str((metadata or {}).get("magics_language")), source)
        return _HIGHLIGHTED.get(key, lambda: self.highlight(source, language, metadata))


def _accessible(html: str) -> str:
    """nbconvert's accessibility pass over an HTML page: alt text for images, focusable inputs and outputs."""
    soup = BeautifulSoup(html, features="html.parser")
    for element in soup.select("img:not([alt])"):
        element.attrs["alt"] = "No description has been provided for this image"
    for element in soup.select(".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output"):
        element.attrs["tabindex"] = "0"
    return str(soup)


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter with templates compiled and code highlighted once per worker; same pages."""

    def _create_environment(self) -> Environment:
        """nbconvert's Jinja environment, with the worker's compiled templates."""
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
        if NEEDS_ACCESSIBILITY_PASS.search(html):
            html = _accessible(html)
        return html, resources
