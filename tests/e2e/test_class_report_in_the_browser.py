"""The class report, opened from disk in headless Chromium as an instructor would after grading."""

from autograder.insights import write_insights
from tests.e2e.conftest import ARTIFACTS


def test_the_class_report_reads_without_a_server(graded_course, page, tmp_path):
    paths = write_insights(graded_course, tmp_path / "insights")
    page.goto(paths["report"].as_uri())
    page.get_by_role("heading", name="Most frequent mistakes").wait_for(timeout=30_000)
    images = page.locator("img")
    assert images.count() == 4
    widths = [images.nth(i).evaluate("img => img.naturalWidth") for i in range(images.count())]
    assert all(width > 100 for width in widths), f"a figure did not load: widths {widths}"
    mistakes = page.locator("table").first.inner_text()
    assert "missing-keepdim" in mistakes and "ben" in mistakes and "not-attempted" in mistakes
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "8-class-report.png", full_page=True)
    page.get_by_role("link", name="ben", exact=False).click()
    page.get_by_role("heading", name="Student").wait_for(timeout=30_000)
    assert "accumulated-grads" in page.content()
    page.screenshot(path=ARTIFACTS / "9-class-report-student-page.png", full_page=True)
