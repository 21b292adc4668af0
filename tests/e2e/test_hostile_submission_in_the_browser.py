"""A submission whose outputs and markdown carry script, opened by the instructor: nothing of it runs.

Each payload, if it ran, would set a flag on the top window, open a dialog, and write
pwned-<n>.txt into the course root through /api/contents with the instructor's session (the
attack that could rewrite nbgrader_config.py, which the grader executes). The submission is graded
with the course's real configuration, then opened in Formgrader's manual grading view and as the
student's feedback file.
"""

from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.autograder.hostile.quiz import ANSWERS, build_quiz_course, submission
from tests.e2e.conftest import serve_lab

CONFIG = Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py"
PAYLOADS = range(1, 13)


def js(number: int) -> str:
    """Script that flags itself, opens a dialog and writes a file into the course root (no spaces or double quotes)."""
    return ("(function(n){top['pwned'+n]=true;"
            "fetch('/api/contents/pwned-'+n+'.txt',{method:'PUT',credentials:'include',"
            "headers:{'Content-Type':'application/json','X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[0,''])[1]},"
            "body:JSON.stringify({type:'file',format:'text',content:'pwned'})})"
            ".then(function(r){top['wrote'+n]=r.status});"
            f"top.alert('pwned'+n);}})({number})")


def hostile_cells() -> list:
    """Cells whose outputs, markdown and links carry the payloads."""
    code = (
        "from IPython.display import HTML, SVG, Javascript, Markdown, display\n"
        f'display(HTML("""<b>table below</b><script>{js(1)}</script>"""))\n'
        f'display(HTML("""<img src=x onerror="{js(2)}">"""))\n'
        f'display(SVG("""<svg xmlns="http://www.w3.org/2000/svg" onload="{js(3)}"><rect width="9" height="9"/>'
        '</svg>"""))\n'
        f'display(HTML("""<svg onload="{js(4)}"></svg>"""))\n'
        f'display(Javascript("""{js(5)}"""))\n'
        f'display(HTML("""<iframe srcdoc="<script>{js(6)}</script>"></iframe>"""))\n'
        f'display(Markdown("""[output link](javascript:{js(9)})"""))\n'
        f'display(HTML("""<!--x--!><script>{js(11)}</script><!---->"""))\n'
        "import pandas as pd\ndisplay(pd.DataFrame({'loss': [0.5, 0.25]}))\n"
    )
    markdown = (f"My notes <script>{js(7)}</script> <img src=x onerror=\"{js(8)}\">\n\n"
                f"[a markdown link](javascript:{js(10)}) <!--x--!><script>{js(12)}</script><!---->")
    return [nbformat.v4.new_code_cell(code), nbformat.v4.new_markdown_cell(markdown)]


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    """The quiz course, graded with one honest-scoring submission whose outputs carry every payload."""
    from autograder.grading import grade_submissions

    root = tmp_path_factory.mktemp("e2e-hostile") / "course"
    course = build_quiz_course(root, CONFIG, cell_seconds=30, notebook_seconds=120)
    folder = course.folder("submitted") / "mallory" / "quiz"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    notebook = submission(course, ANSWERS)
    notebook.cells[-1:-1] = hostile_cells()
    nbformat.write(notebook, folder / "quiz.ipynb")
    [outcome] = grade_submissions(course, [("mallory", "quiz")], progress=False, workers=1)
    assert outcome.status == "graded", outcome
    with Gradebook(course.coursedir.db_url) as gradebook:
        submission_id = gradebook.find_submission_notebook("quiz", "quiz", "mallory").id
    return course, submission_id


@pytest.fixture(scope="module")
def hostile_lab(hostile_course, tmp_path_factory):
    course, _ = hostile_course
    with serve_lab(course.root, course.root, tmp_path_factory.mktemp("jupyter-home")) as lab:
        yield lab


def _open_and_try_everything(page, url: str, dialogs: list, lab=None) -> None:
    """Load `url` (after JupyterLab, as an instructor would, which sets the session's cookies), click
    every link the payloads could hide behind, and give scripts time to act."""
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    if lab is not None:
        page.goto(lab.url("lab"))
        page.wait_for_load_state("load")
    page.goto(url)
    page.wait_for_load_state("load")
    for frame in page.frames:
        for text in ("output link", "a markdown link"):
            link = frame.get_by_text(text, exact=True)
            if link.count():
                link.first.click(force=True, no_wait_after=True)
    page.wait_for_timeout(3000)


def _flags(page) -> list[str]:
    """Payloads that ran (with the status of their write, if it got one), as seen from every frame."""
    flags = []
    for frame in page.frames:
        try:
            flags += frame.evaluate(f"() => {list(PAYLOADS)}.filter(n => window.top['pwned' + n])"
                                    ".map(n => n + ' wrote ' + window.top['wrote' + n])")
        except Exception as error:  # a sandboxed frame of another origin cannot be read; say so
            flags.append(f"unreadable frame: {error}")
    return flags


def _assert_nothing_ran(page, course, dialogs: list) -> None:
    found = {"payloads that ran": _flags(page), "dialogs": dialogs,
             "files written into the course root": sorted(path.name for path in course.root.glob("pwned-*"))}
    assert not any(found.values()), found


def test_formgrader_shows_the_hostile_submission_inert(hostile_course, hostile_lab, page):
    course, submission_id = hostile_course
    dialogs: list[str] = []
    _open_and_try_everything(page, hostile_lab.url(f"formgrader/submissions/{submission_id}/"), dialogs, hostile_lab)
    page.get_by_text("table below").first.scroll_into_view_if_needed()
    page.screenshot(path=hostile_lab.artifacts / "6-formgrader-hostile-submission.png", full_page=True)
    assert page.locator("table.dataframe").count() == 1, "a pandas table should still render"
    assert page.get_by_text("My notes").count() == 1
    _assert_nothing_ran(page, course, dialogs)


def test_the_feedback_file_is_inert(hostile_course, hostile_lab, page):
    course, _ = hostile_course
    feedback = course.folder("feedback") / "mallory" / "quiz" / "quiz.html"
    dialogs: list[str] = []
    _open_and_try_everything(page, hostile_lab.url(f"files/{feedback.relative_to(course.root)}"), dialogs, hostile_lab)
    page.screenshot(path=hostile_lab.artifacts / "7-feedback-hostile-submission.png", full_page=True)
    assert page.locator("table.dataframe").count() == 1
    _assert_nothing_ran(page, course, dialogs)
    dialogs.clear()
    _open_and_try_everything(page, feedback.as_uri(), dialogs)  # the file opened from disk, outside the server
    _assert_nothing_ran(page, course, dialogs)
