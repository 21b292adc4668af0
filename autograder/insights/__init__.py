"""What the class got wrong: misconceptions, item statistics and per-student summaries after grading.

`write_insights(course, folder)` writes `index.html` (figures embedded, readable without a server),
`students/<id>.html`, and CSV files: outcomes (one row per graded test cell), exercises (item
statistics), misconceptions (most frequent first) and incidents.
"""

from pathlib import Path

from autograder.course import Course
from autograder.insights.collect import class_outcomes
from autograder.insights.page import class_page, page_name, student_page
from autograder.insights.stats import exercise_table, incidents, misconception_table, student_table
from autograder.report import printable_frame, submission_scores
from autograder.roster import gradebook_roster


def write_insights(course: Course, folder: Path, failed: set[tuple[str, str]] = frozenset()) -> dict[str, Path]:
    """Write the class report into `folder`; return its files by kind."""
    submissions = submission_scores(course, failed)
    outcomes_table = class_outcomes(course, submissions)
    exercises = exercise_table(outcomes_table)
    misconceptions = misconception_table(outcomes_table)
    trouble = incidents(outcomes_table, submissions)
    missed = student_table(outcomes_table)
    students = sorted(submissions.student.unique())
    names = {entry.id: f"{entry.last_name}, {entry.first_name}".strip(", ") for entry in gradebook_roster(course)}
    (folder / "students").mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in ("outcomes", "exercises", "misconceptions", "incidents")}
    for name, frame in zip(paths, (outcomes_table, exercises, misconceptions, trouble), strict=True):
        printable_frame(frame).to_csv(paths[name], index=False)
    paths["report"] = folder / "index.html"
    paths["report"].write_text(class_page(submissions, exercises, misconceptions, trouble, students, names),
                               encoding="utf-8")
    for student in students:
        page = student_page(student, missed, submissions, names.get(student, ""))
        (folder / "students" / page_name(student)).write_text(page, encoding="utf-8")
    return paths
