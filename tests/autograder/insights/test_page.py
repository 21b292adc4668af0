"""The report's pages: names and messages from submissions stay text, figures are embedded."""

import pandas as pd

from autograder.insights.page import class_page, page_name, student_page
from autograder.insights.stats import exercise_table, incidents, misconception_table, student_table
from tests.autograder.insights.test_stats import CLASS

HOSTILE = '<script>alert(1)</script>"x'


def _submissions(students):
    return pd.DataFrame([[s, "01-tensors", 2.0, 6.0, 33.3, "graded", ""] for s in students],
                        columns=["student", "assignment", "score", "max_score", "percent", "status", "notes"])


def test_pages_escape_whatever_a_submission_put_in_names_and_messages():
    hostile = CLASS.assign(student=CLASS.student.replace("b", HOSTILE),
                           message=CLASS.message.replace("You subtracted", "<img src=x onerror=alert(1)>"))
    submissions = _submissions(sorted(hostile.student.unique()))
    page = class_page(submissions, exercise_table(hostile), misconception_table(hostile),
                      incidents(hostile, submissions), sorted(hostile.student.unique()))
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and page.count("<img ") == 4  # the four figures, nothing else
    assert 'src="data:image/png;base64,' in page
    own = student_page(HOSTILE, student_table(hostile), submissions)
    assert "<script>" not in own and "bias-shape" in own


def test_student_page_names_are_safe_file_names():
    assert page_name("ada") == "ada.html"
    for student in (HOSTILE, "../../etc/passwd", ".hidden", "a/b"):
        name = page_name(student)
        assert "/" not in name and not name.startswith(".") and name.endswith(".html")
    assert page_name("a/b") != page_name("a_b")


def test_pages_name_students_as_the_roster_does():
    submissions = _submissions(["a", "b"])
    page = class_page(submissions, exercise_table(CLASS), misconception_table(CLASS), incidents(CLASS, submissions),
                      ["a", "b"], {"a": "Okafor, Ada", "b": "<b>Lindqvist</b>, Ben"})
    assert "Okafor, Ada (a)" in page and "&lt;b&gt;Lindqvist&lt;/b&gt;, Ben (b)" in page
    assert "<h1>Student Okafor, Ada (a)</h1>" in student_page("a", student_table(CLASS), submissions, "Okafor, Ada")
