"""The course as students and instructors meet it: JupyterLab, the checks, Validate and Formgrader."""

import re

import pytest

LESSON = "notebooks/01-tensors/tensors.ipynb"
CORRECT_EX1 = '''def broadcast_shape(shape_a, shape_b):
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"{x} vs {y}")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(out)
'''
WRONG_EX2 = '''def center_rows(x):
    return x - x.mean(dim=1)
'''
MISTAKE = "You subtracted x.mean(dim=1), whose shape [3] broadcasts along the last dimension"


def _wait_for_idle_kernel(page) -> None:
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)


def _open_lesson(page, lab) -> None:
    page.goto(lab.url(f"lab/tree/{LESSON}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    if accept.count():
        accept.first.click()
    _wait_for_idle_kernel(page)


def _replace_cell(page, marker: str, code: str) -> None:
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text=marker).first
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()


@pytest.fixture(scope="module")
def student_page(browser, lab_server):
    """Lesson 1 opened by a student who answers exercise 1 correctly and exercise 2 wrongly, then runs all."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    _open_lesson(page, lab_server)
    page.screenshot(path=lab_server.artifacts / "1-student-opens-lesson-1.png")
    _replace_cell(page, "def broadcast_shape(shape_a, shape_b):", CORRECT_EX1)
    _replace_cell(page, "def center_rows(x):", WRONG_EX2)
    _run_all(page)
    page.wait_for_selector(f".jp-OutputArea-output:has-text('{MISTAKE[:40]}')", timeout=120_000)
    _wait_for_idle_kernel(page)
    yield page, lab_server
    context.close()


def test_student_sees_the_pass_and_the_specific_mistake(student_page):
    student_page, lab = student_page
    outputs = student_page.locator(".jp-OutputArea-output")
    texts = [t.strip() for t in outputs.all_text_contents()]
    passed = [t for t in texts if t.startswith("✓ Exercise 1")]
    failed = [t for t in texts if MISTAKE in t]
    exercise_2 = student_page.locator(".jp-CodeCell").filter(has_text="def center_rows(x):").first
    exercise_2.scroll_into_view_if_needed()
    student_page.locator(f".jp-OutputArea-output:has-text('{MISTAKE[:40]}')").scroll_into_view_if_needed()
    student_page.screenshot(path=lab.artifacts / "2-student-check-messages.png")
    assert passed, "the check cell of exercise 1 should show its ✓ message"
    assert failed and "must form a column" in failed[0], "the check of exercise 2 should name the mistake and the fix"
    assert "keepdim=True" not in failed[0], "the check of exercise 2 should point to the fix, not hand it over"
    assert "Traceback" not in failed[0], "a failed check is one message, not a traceback"


def test_validate_reports_the_same(student_page):
    student_page, lab = student_page
    student_page.keyboard.press("Control+S")
    student_page.wait_for_timeout(1000)
    student_page.locator(".jp-NotebookPanel-toolbar jp-button.validate-button").click()
    dialog = student_page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    student_page.wait_for_function(
        "() => !document.querySelector('.jp-Dialog')?.innerText.includes('Validating')", timeout=180_000)
    student_page.screenshot(path=lab.artifacts / "3-student-validate.png")
    text = dialog.inner_text()
    assert MISTAKE[:40] in text, f"Validate should show the exercise 2 mistake; it said: {text[:500]}"


def test_instructor_sees_assignments_and_a_graded_submission(page, lab_server):
    page.goto(lab_server.url("formgrader"))
    rows = page.locator("#main-table tr")
    rows.filter(has_text="07-double-descent").wait_for(timeout=60_000)  # the table fills in asynchronously
    assignments = rows.all_text_contents()
    page.screenshot(path=lab_server.artifacts / "4-instructor-formgrader-assignments.png")
    for lesson in ("01-tensors", "02-linear-regression", "07-double-descent"):
        assert any(lesson in row for row in assignments), f"{lesson} missing from Formgrader"
    page.goto(lab_server.url("formgrader/manage_submissions/01-tensors"))
    ada = page.locator("#main-table tr").filter(has_text="ada").first
    ada.wait_for(timeout=60_000)
    row = ada.inner_text()
    page.screenshot(path=lab_server.artifacts / "5-instructor-graded-submission.png")
    assert re.search(r"12(\.0+)?\s*/\s*12", row), f"ada's graded score should read 12 / 12; the row says: {row}"
