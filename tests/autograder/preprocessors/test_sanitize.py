"""Student HTML, markdown and outputs are cleaned of anything that could run in the instructor's browser."""

import nbformat
import pandas as pd
import pytest

from autograder import notes
from autograder.preprocessors.sanitize import SanitizeOutputs, safe_markdown, sanitized

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def display(data: dict, metadata: dict | None = None) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})


def run(*cells) -> tuple[nbformat.NotebookNode, list[str]]:
    notes.take()
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook, _ = SanitizeOutputs().preprocess(notebook, {"nbgrader": {"notebook": "quiz"}})
    return notebook, notes.take()


@pytest.mark.parametrize("payload", [
    "<script>window.pwned = 1</script>", "<img src=x onerror=pwned()>", "<svg onload=pwned()></svg>",
    '<iframe srcdoc="<script>parent.pwned = 1</script>"></iframe>', '<a href="javascript:pwned()">x</a>',
    '<a href="java&#x09;script:pwned()">x</a>', '<form action="/api/contents"><button>x</button></form>',
    '<object data="x.swf"></object>', '<div style="position:fixed;inset:0">cover</div><meta http-equiv=refresh>',
    # Python's parser reads each of these as one comment; a browser ends the comment early and runs the rest
    "<!--x--!><script>window.pwned = 1</script><!---->", "<!--><script>window.pwned = 1</script>-->",
    "<!---><img src=x onerror=pwned()>-->", "<b>hi</b><!-- a --!><iframe srcdoc=x></iframe>-->"])
def test_active_html_is_removed_and_noted(payload):
    cleaned, removed = sanitized(payload)
    assert removed
    for active in ("script", "onerror", "onload", "iframe", "javascript", "form", "object", "style", "meta"):
        assert active not in cleaned.lower()


def test_harmless_html_is_kept_as_written():
    table = pd.DataFrame({"loss": [0.5, 0.25]})._repr_html_()
    cleaned, removed = sanitized(table)  # pandas' style element and attributes go, silently
    assert not removed and "<table" in cleaned and "<style" not in cleaned and "0.25" in cleaned
    for html in ("<b>bold</b> &amp; <i>it</i>", f'<img src="data:image/png;base64,{PNG}">',
                 '<a href="https://pytorch.org">docs</a>', "<details><summary>hint</summary>try x</details>"):
        assert sanitized(html) == (html, False)


def test_a_comment_is_removed_without_a_note_unless_a_browser_would_end_it_early():
    assert sanitized("<p>kept</p><!-- a note to myself -->") == ("<p>kept</p>", False)
    assert safe_markdown("Done. <!-- TODO: tidy -->") == ("<div>\n<p>Done. </p>\n</div>", False)
    cleaned, removed = safe_markdown("Done <!--x--!><script>window.pwned = 1</script><!----> here")
    assert removed and "pwned" not in cleaned and "here" in cleaned


def test_markdown_keeps_its_text_unless_it_renders_to_something_active():
    text = "# Title\n\nSo $x<y$ and [a link](https://x.org).\n\n| a |\n|---|\n| 1 |\n\n> quoted\n\n```python\nx<1\n```"
    assert safe_markdown(text) == (text, False)
    cleaned, removed = safe_markdown("Done <script>pwned()</script> [see](javascript:pwned())")
    assert removed and "pwned" not in cleaned and "see" in cleaned and cleaned.startswith("<div>")


def test_outputs_keep_only_safe_types_and_plain_sizes():
    outputs = [
        display({"text/html": "<b>ok</b>", "text/plain": "ok"}),
        display({"application/javascript": "pwned()", "text/plain": "<Javascript>"}),
        display({"application/vnd.jupyter.widget-view+json": {"model_id": "1"}}),
        display({"image/svg+xml": "<svg onload=pwned()></svg>"}),
        display({"image/png": PNG}, {"image/png": {"width": "1 onerror=pwned()", "height": 20}}),
        display({"image/png": 'x" onerror="pwned()'}),
        nbformat.v4.new_output("stream", name='x"><script>', text="hi"),
    ]
    cell = nbformat.v4.new_code_cell("x", outputs=outputs)
    notebook, found = run(cell)
    kept = notebook.cells[0].outputs
    assert [dict(output.data) for output in kept[:4]] == [
        {"text/html": "<b>ok</b>", "text/plain": "ok"}, {"text/plain": "<Javascript>"},
        {"text/plain": "[autograder: output removed; it could run script in the instructor's browser]"},
        {"text/plain": "[autograder: output removed; it could run script in the instructor's browser]"}]
    assert kept[4].metadata == {"image/png": {"height": 20}} and "image/png" not in kept[5].data
    assert kept[6].name == "stdout"
    assert len(found) == 1 and "application/javascript" in found[0] and "image/svg+xml" in found[0]


def test_markdown_raw_cells_attachments_and_widget_state_are_cleaned():
    markdown = nbformat.v4.new_markdown_cell("![plot](attachment:p.png) <img src=x onerror=pwned()>")
    markdown.attachments = {"p.png": {"image/png": PNG}, "page.html": {"text/html": "<script>pwned()</script>"}}
    raw = nbformat.v4.new_raw_cell("<script>pwned()</script>a < b")
    notebook = nbformat.v4.new_notebook(cells=[markdown, raw])
    notebook.metadata.widgets = {"application/vnd.jupyter.widget-state+json": {}}
    notes.take()
    notebook, _ = SanitizeOutputs().preprocess(notebook, {})
    [found] = notes.take()
    assert "pwned" not in notebook.cells[0].source and "data:image/png;base64" in notebook.cells[0].source
    assert notebook.cells[0].attachments == {"p.png": {"image/png": PNG}}
    assert notebook.cells[1].source == "a &lt; b"
    assert "widgets" not in notebook.metadata
    assert "markdown cells" in found and "attachments" in found and "widget state" in found


def test_an_honest_notebook_is_left_alone_without_a_note():
    cell = nbformat.v4.new_code_cell("df", outputs=[nbformat.v4.new_output(
        "execute_result", data={"text/plain": "df", "image/png": PNG}, execution_count=1)])
    notebook, found = run(nbformat.v4.new_markdown_cell("## Exercise 1 · 练习\nUse `x.mean()`."), cell)
    assert found == [] and notebook.cells[0].source == "## Exercise 1 · 练习\nUse `x.mean()`."


def test_cleaning_a_text_again_gives_the_same_answer_for_that_text():
    # Each distinct text is cleaned once per worker: a later equal text must get the same verdict,
    # and safe text must come back as the very string passed in (callers test "unchanged" by identity).
    unsafe, safe = '<b onclick="x()">hi</b>', "<b>hi</b>"
    first, again = sanitized(unsafe), sanitized("".join(["<b onclick", '="x()">hi</b>']))
    assert first == again and first[0] != unsafe
    twin = "".join(["<b>", "hi</b>"])
    assert sanitized(safe)[0] is safe and sanitized(twin)[0] is twin
    assert safe_markdown("# Title\n\n<script>x()</script>") == safe_markdown("# Title\n\n<script>x()</script>")
    assert safe_markdown("# Title")[0] == "# Title"
