"""Make a submission safe to open in the instructor's browser: no script, no active HTML.

Formgrader and the feedback files show a graded notebook as HTML rendered by nbconvert, on the
Jupyter server's own origin, where script could use the instructor's session (for instance to
rewrite nbgrader_config.py through /api/contents). This preprocessor keeps only outputs of an
allow-list of MIME types, cleans HTML and markdown with nh3 (the ammonia sanitiser) against an
allow-list of harmless tags and attributes, and drops everything else, with a note naming what was
removed. It changes no score: errors and streams, which nbgrader grades, are kept.
"""

import base64
import binascii
import functools
import re
from html.parser import HTMLParser

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import notes

HEADINGS = {f"h{level}" for level in range(1, 7)}
TAGS = HEADINGS | {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr"}
ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start", "type"}, "table": {"border"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"}, "colgroup": {"span"}, "details": {"open"}, **{heading: {"id"} for heading in HEADINGS}}
# MIME types kept in outputs; HTML and markdown are cleaned, images checked to be base64.
PLAIN_TYPES = {"text/plain", "text/latex"}  # nbconvert and JupyterLab escape these
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
MARKUP_TYPES = {"text/html", "text/markdown"}
_IMAGE_SOURCE = re.compile(r"^(data:image/(png|jpeg|gif|webp|svg\+xml);base64,[a-z0-9+/=\s]*|attachment:[^\s:]+)$",
                           re.IGNORECASE)
_LINK_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_TAG = re.compile(r"^[\w.-]{1,100}$")


def _keep_url(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: links only to web, mail or the page itself; images only from data."""
    compact = re.sub(r"[\x00-\x20]", "", value).lower()
    if tag == "img" and attribute == "src":
        return value if _IMAGE_SOURCE.match(compact) else None
    if attribute == "href":
        scheme = _SCHEME.match(compact)
        return value if scheme is None or scheme.group(1) in _LINK_SCHEMES else None
    return value


def clean_html(html: str) -> str:
    """`html` with only allow-listed tags, attributes and URLs; script and style elements removed whole."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_keep_url, link_rel=None,
                     url_schemes={*_LINK_SCHEMES, "data", "attachment"}, clean_content_tags={"script", "style"})


class _Structure(HTMLParser):
    """Start tags with their attributes, text and comments: what HTML shows and does, ignoring spelling.

    Comments count because Python's parser and a browser's end them differently (`--!>` ends one
    only for the browser): HTML with a comment is never kept as written, so nh3's output, parsed as
    browsers parse, is what reaches the page. With `without_style`, style elements and attributes
    (pandas writes both) and comments that end in the same place for both parsers are left out.
    """

    def __init__(self, without_style: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list = []
        self.without_style, self.in_style = without_style, False

    def handle_starttag(self, tag, attrs):
        self.in_style = self.without_style and tag == "style"
        if not self.in_style:
            self.items.append((tag, tuple(sorted((name, value or "") for name, value in attrs
                                                 if not (self.without_style and name == "style")))))

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if data.split() and not self.in_style:
            self.items.append(" ".join(data.split()))

    def handle_comment(self, data):
        if not (self.without_style and _ends_alike(data)):
            self.items.append(("--", data))

    def handle_decl(self, decl):
        self.items.append(("!", decl))

    def handle_pi(self, data):
        self.items.append(("?", data))

    def unknown_decl(self, data):
        self.items.append(("!", data))


def _ends_alike(comment: str) -> bool:
    """Whether a browser ends this comment (its text as Python's parser read it) where Python did."""
    return not comment.startswith((">", "->")) and "--!>" not in comment


def _structure(html: str, without_style: bool = False) -> list:
    parser = _Structure(without_style)
    parser.feed(html)
    parser.close()
    return parser.items


def sanitized(html: str) -> tuple[str, bool]:
    """`html`, cleaned if cleaning changes anything; and whether more than style elements went."""
    cleaned, removed = _cleaning(html)
    return (html, False) if cleaned is None else (cleaned, removed)


# A lesson's markdown and its opening cells' outputs are the same in every submission: each distinct
# text is cleaned once per worker (the functions are pure; a few thousand texts of a few KB at most).
@functools.lru_cache(maxsize=4096)
def _cleaning(html: str) -> tuple[str | None, bool]:
    """The cleaned form of `html` (None when cleaning changes nothing), and whether more than style went."""
    cleaned = clean_html(html)
    structure = _structure(cleaned)
    if structure == _structure(html):
        return None, False
    return cleaned, structure != _structure(html, without_style=True)


def render_markdown(source: str, attachments: dict | None = None) -> str:
    """Markdown to HTML exactly as nbconvert renders it for Formgrader and feedback."""
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {})).render(source)


def safe_markdown(source: str, attachments: dict | None = None) -> tuple[str, bool]:
    """`source`, or markdown rendering to its cleaned HTML if it renders to anything unsafe; and
    whether more than style elements went."""
    if not attachments:
        return _safe_text_markdown(source)
    return _safe_markdown(source, attachments)


@functools.lru_cache(maxsize=4096)
def _safe_text_markdown(source: str) -> tuple[str, bool]:
    return _safe_markdown(source, None)


def _safe_markdown(source: str, attachments: dict | None) -> tuple[str, bool]:
    try:
        html = render_markdown(source, attachments)
        cleaned, removed = sanitized(html)
    except Exception:  # nbconvert would fail on it too (a missing attachment): show it as text
        html, cleaned, removed = "", "<pre>" + nh3.clean_text(source) + "</pre>", True
    if cleaned is html:
        return source, False
    lines = [line for line in cleaned.splitlines() if line.strip()]  # a blank line would end the HTML block
    return "<div>\n" + "\n".join(lines) + "\n</div>", removed


def _is_base64(text) -> bool:
    if not isinstance(text, str) or not _BASE64.match(text):
        return False
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class SanitizeOutputs(NbGraderPreprocessor):
    """Strip script and active HTML from outputs, markdown, raw cells and attachments (module docstring)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Clean every cell and the notebook's widget state; note once per kind of thing removed."""
        self._removed: set[str] = set()
        if "widgets" in nb.metadata:
            del nb.metadata["widgets"]
            self._removed.add("widget state")
        nb, resources = super().preprocess(nb, resources)
        if self._removed:
            name = (resources.get("nbgrader") or {}).get("notebook") or "notebook"
            notes.add(f"{name}.ipynb: removed from what the instructor's browser shows: "
                      f"{', '.join(sorted(self._removed))}")
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        """One cell: its tags, its markdown or raw source, its attachments and outputs."""
        tags = cell.get("metadata", {}).get("tags")
        if tags is not None:
            cell.metadata.tags = [tag for tag in tags if isinstance(tag, str) and _TAG.match(tag)] \
                if isinstance(tags, list) else []
        if "attachments" in cell:
            self._clean_attachments(cell)
        if cell.cell_type == "markdown":
            cell.source, removed = safe_markdown(cell.source, cell.get("attachments"))
            if removed:
                self._removed.add("script or active HTML in markdown cells")
        elif cell.cell_type == "raw":
            cell.source, removed = sanitized(cell.source)
            if removed:
                self._removed.add("script or active HTML in raw cells")
        elif cell.cell_type == "code":
            if not isinstance(cell.get("execution_count"), int | None):
                cell.execution_count = None
            cell.outputs = [kept for output in cell.get("outputs", []) if (kept := self._output(output))]
        return cell, resources

    def _clean_attachments(self, cell: NotebookNode) -> None:
        attachments = cell.attachments if isinstance(cell.attachments, dict) else {}
        kept = {}
        for name, bundle in attachments.items():
            images = {mime: data for mime, data in (bundle or {}).items() if mime in IMAGE_TYPES and _is_base64(data)}
            if images and _TAG.match(name):
                kept[name] = images
        if kept != attachments:
            self._removed.add("attachments that are not PNG, JPEG or GIF images")
        cell.attachments = kept

    def _output(self, output: NotebookNode) -> NotebookNode | None:
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") not in {"stdout", "stderr"}:
                output.name = "stdout"
            output.text = str(output.get("text", ""))
            return output
        if kind == "error":
            return output
        if kind not in {"display_data", "execute_result"}:
            self._removed.add(f"outputs of type {str(kind)[:40]}")
            return None
        data, kept = output.get("data") or {}, {}
        for mime, value in data.items():
            if (mime in PLAIN_TYPES and isinstance(value, str)) or (mime in IMAGE_TYPES and _is_base64(value)):
                kept[mime] = value
            elif mime in MARKUP_TYPES and isinstance(value, str):
                kept[mime], removed = sanitized(value) if mime == "text/html" else safe_markdown(value)
                if removed:
                    self._removed.add(f"script or active HTML in {mime} outputs")
            else:
                self._removed.add(f"{mime[:60]} outputs")
        if not kept:
            kept["text/plain"] = "[autograder: output removed; it could run script in the instructor's browser]"
        output.data = kept
        output.metadata = self._image_sizes(output.get("metadata") or {})
        return output

    @staticmethod
    def _image_sizes(metadata: dict) -> NotebookNode:
        """Only numeric widths and heights of images survive (nbconvert writes them unquoted into tags)."""
        kept = NotebookNode()
        for mime in IMAGE_TYPES:
            sizes = {key: value for key, value in (metadata.get(mime) or {}).items()
                     if key in {"width", "height"} and isinstance(value, int | float) and not isinstance(value, bool)}
            if sizes:
                kept[mime] = NotebookNode(sizes)
        return kept
