"""The class report as static HTML: figures embedded as PNG, every name and message escaped, no script.

Readable from disk without a server: `index.html` for the class, `students/<id>.html` for each
student (what they got wrong, lesson by lesson, for office hours).
"""

import base64
import hashlib
import html
import io
import re

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from autograder.insights.collect import NOT_ATTEMPTED
from autograder.insights.stats import EASY_ABOVE, HARD_BELOW
from autograder.report import MISSING, NOT_GRADED_FAILED, NOT_GRADED_YET

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;
vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}.flag{color:#a40}.muted{color:#777}
img{max-width:100%}code{background:#f6f6f6;padding:0 .2em}"""
OUTCOME_COLOURS = {"passed": "#4c9a2a", "failed the visible checks": "#d9822b", "failed only hidden tests": "#b33",
                   "not attempted": "#bbb", "stopped (limit or crash)": "#555"}
TOP = 15
NUMERIC_ITEM_COLUMNS = ("submitted", "passed", "pass_rate", "failed_visible", "failed_hidden_only", "not_attempted",
                        "stopped", "difficulty", "discrimination")


def page_name(student: str) -> str:
    """A file name for a student's page that is safe whatever the id holds."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", student)[:60]
    if safe != student or safe.startswith("."):
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"
    return f"{safe}.html"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode()


def _image(figure: Figure, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(figure)}">'


def _table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = "—" if isinstance(value, float) and pd.isna(value) else str(value)
            css = ' class="n"' if column in numeric else (' class="flag"' if column == "flag" and text else "")
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def score_histograms(submissions: pd.DataFrame) -> Figure:
    """One panel per lesson: how many students got each share of its points (graded submissions only)."""
    graded = submissions[submissions.status.isin(["graded", "needs manual grading"])]
    lessons = sorted(graded.assignment.unique())
    columns = min(4, max(1, len(lessons)))
    rows = -(-len(lessons) // columns) or 1
    figure = Figure(figsize=(3.2 * columns, 2.6 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    for axis, lesson in zip(axes, lessons, strict=False):
        axis.hist(graded[graded.assignment == lesson].percent, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001],
                  color="#4a7ab5", edgecolor="white")
        axis.set_title(lesson, fontsize=10)
        axis.set_xlabel("score (% of the lesson's points)")
        axis.set_ylabel("students")
        axis.set_xlim(0, 100)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    for axis in axes[len(lessons):]:
        axis.set_visible(False)
    return figure


def outcome_bars(exercises: pd.DataFrame) -> Figure:
    """A stacked bar per exercise: passed, failed a visible check, failed only hidden tests, blank, stopped."""
    labels = list(exercises.exercise)
    parts = {
        "passed": exercises.passed,
        "failed the visible checks": exercises.failed_visible,
        "failed only hidden tests": exercises.failed_hidden_only,
        "not attempted": exercises.not_attempted,
        "stopped (limit or crash)": exercises.stopped,
    }
    figure = Figure(figsize=(9, 0.28 * len(labels) + 1.6), layout="constrained")
    axis = figure.subplots()
    left = pd.Series(0, index=exercises.index)
    for name, counts in parts.items():
        axis.barh(labels, counts, left=left, color=OUTCOME_COLOURS[name], label=name)
        left = left + counts
    axis.invert_yaxis()
    axis.set_xlabel("submissions")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.6 / (len(labels) + 2)), ncol=5, fontsize=8,
                frameon=False)
    return figure


def misconception_bars(misconceptions: pd.DataFrame) -> Figure:
    """The most frequent mistakes of the class (blank answers left out), longest bar first."""
    top = misconceptions[misconceptions.misconception != NOT_ATTEMPTED].head(TOP)
    figure = Figure(figsize=(9, 0.3 * max(len(top), 1) + 1.2), layout="constrained")
    axis = figure.subplots()
    axis.barh([f"{r.assignment} {r.exercise}: {r.misconception}"[:70] for r in top.itertuples()], top["count"],
              color="#d9822b")
    axis.invert_yaxis()
    axis.set_xlabel("students")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def item_scatter(exercises: pd.DataFrame) -> Figure:
    """Difficulty against discrimination, one point per exercise, flagged exercises in orange."""
    figure = Figure(figsize=(6, 4), layout="constrained")
    axis = figure.subplots()
    flagged = exercises.flag != ""
    axis.scatter(exercises.difficulty[~flagged], exercises.discrimination[~flagged], color="#4a7ab5", label="no flag")
    axis.scatter(exercises.difficulty[flagged], exercises.discrimination[flagged], color="#d9822b", label="flagged")
    axis.axhline(0, color="#999", linewidth=0.8)
    axis.set_xlabel("difficulty (mean share of points earned)")
    axis.set_ylabel("discrimination (item-rest correlation)")
    axis.set_xlim(-0.05, 1.05)
    axis.legend(fontsize=8)
    return figure


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n")


def _who(student: str, name: str) -> str:
    return f"{name} ({student})" if name else student


def class_page(submissions: pd.DataFrame, exercises: pd.DataFrame, misconceptions: pd.DataFrame,
               incidents: pd.DataFrame, students: list[str], names: dict[str, str] | None = None) -> str:
    """The class report's main page; `names` maps student ids to "Last, First" where the roster has them."""
    names = names or {}
    graded = submissions.status.isin(["graded", "needs manual grading"])
    summary = (f"<p>{len(students)} students; {int(graded.sum())} submissions graded, "
               f"{int((submissions.status == MISSING).sum())} missing, "
               f"{int((submissions.status == NOT_GRADED_YET).sum())} handed in but not graded yet, "
               f"{int((submissions.status == NOT_GRADED_FAILED).sum())} failed to grade; "
               f"{len(incidents)} incidents (limits, crashes, failed grading).</p>")
    parts = [summary, "<h2>Most frequent mistakes</h2>",
             "<p>Each failed test is counted under the mistake its check named; failures no check named are "
             "grouped by error type and message. Blank answers are counted under <code>not-attempted</code>.</p>"]
    if len(misconceptions):
        parts.append(_image(misconception_bars(misconceptions), "bar chart of the most frequent mistakes"))
        parts.append(_table(misconceptions.head(TOP), numeric=("count", "share")))
    parts += ["<h2>Scores per lesson</h2>", _image(score_histograms(submissions), "histograms of lesson scores")]
    if len(exercises):
        parts += ["<h2>Exercises, lesson by lesson</h2>",
                  "<p>Where each exercise's submissions ended. <em>Failed only hidden tests</em> passed the "
                  "visible checks the student saw: many of those suggest the visible checks teach too little. "
                  f"Flags: pass rate at most {HARD_BELOW:.0%} or at least {EASY_ABOVE:.0%}, or a negative "
                  "discrimination.</p>",
                  _image(item_scatter(exercises), "difficulty against discrimination")]
    for lesson, rows in exercises.groupby("assignment"):
        parts += [f"<h3>{html.escape(str(lesson))}</h3>",
                  _image(outcome_bars(rows.reset_index(drop=True)), f"outcomes per exercise of {lesson}"),
                  _table(rows.drop(columns="assignment"), numeric=NUMERIC_ITEM_COLUMNS)]
        mistakes = misconceptions[misconceptions.assignment == lesson].sort_values(
            ["exercise", "count"], ascending=[True, False], kind="stable")
        if len(mistakes):
            parts.append(_table(mistakes.drop(columns="assignment"), numeric=("count", "share")))
    parts += ["<h2>Incidents</h2>", _table(incidents) if len(incidents) else '<p class="muted">none</p>',
              "<h2>Students</h2><ul>"]
    parts += [f'<li><a href="students/{html.escape(page_name(s))}">{html.escape(_who(s, names.get(s, "")))}</a></li>'
              for s in students]
    parts.append("</ul>")
    return _document("What the class got wrong", "".join(parts))


def student_page(student: str, missed: pd.DataFrame, submissions: pd.DataFrame, name: str = "") -> str:
    """One student's page: their lesson scores, then every exercise they did not pass and why."""
    own = submissions[submissions.student == student][["assignment", "score", "max_score", "status"]]
    body = ['<p><a href="../index.html">back to the class</a></p><h2>Lessons</h2>',
            _table(own, numeric=("score", "max_score")), "<h2>Not passed</h2>"]
    mine = missed[missed.student == student].drop(columns="student")
    body.append(_table(mine, numeric=("score", "max_score")) if len(mine) else '<p class="muted">nothing</p>')
    return _document(f"Student {_who(student, name)}", "".join(body))
