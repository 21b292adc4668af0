"""After `roster import`, Formgrader's students page shows each student's name and email, not "None, None"."""

from pathlib import Path

from autograder.roster import import_roster, read_roster

DEMO_ROSTER = Path(__file__).resolve().parents[2] / "autograder" / "demo_class" / "roster.csv"


def test_formgrader_lists_the_roster_names(page, lab_server, graded_course):
    entries = import_roster(graded_course, DEMO_ROSTER)
    page.goto(lab_server.url("formgrader/manage_students"))
    rows = page.locator("#main-table tr")
    rows.filter(has_text="Nakamura, Eve").wait_for(timeout=60_000)  # the table fills in asynchronously
    page.screenshot(path=lab_server.artifacts / "10-instructor-formgrader-names.png", full_page=True)
    shown = rows.all_inner_texts()
    for entry in read_roster(DEMO_ROSTER):
        row = next((text for text in shown if f"{entry.last_name}, {entry.first_name}" in text), None)
        assert row is not None, f"{entry.last_name}, {entry.first_name} missing from Formgrader: {shown}"
        assert entry.id in row and entry.email in row, row
    assert len(entries) == 5
    assert not [text for text in shown if "None, None" in text], shown
