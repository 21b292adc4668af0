"""Item statistics on a small class whose right answers are worked out by hand."""

import math

import numpy as np
import pandas as pd

from autograder.insights.collect import OUTCOME_COLUMNS, misconception_key
from autograder.insights.stats import exercise_table, incidents, misconception_table, student_table


def _row(student, exercise, outcome, part="", ename="", mistake="", message="", score=None):
    score = (2.0 if outcome == "passed" else 0.0) if score is None else score
    return [student, "01-tensors", "tensors", exercise, score, 2.0, outcome, part, ename, mistake, message,
            misconception_key(outcome, ename, mistake, message)]


CLASS = pd.DataFrame([
    _row("a", "ex1", "passed"), _row("a", "ex2", "passed"), _row("a", "ex3", "passed"),
    _row("b", "ex1", "failed", "visible", "CheckFailed", "missing-keepdim", "You subtracted"),
    _row("b", "ex2", "passed"), _row("b", "ex3", "failed", "hidden", "CheckFailed", "bias-shape", "b has shape"),
    _row("c", "ex1", "failed", "visible", "NotImplementedError"), _row("c", "ex2", "failed", "visible",
                                                                     "NotImplementedError"),
    _row("c", "ex3", "time-limit"),
    _row("d", "ex1", "failed", "visible", "CheckFailed", "missing-keepdim", "You subtracted"),
    _row("d", "ex2", "failed", "visible", "NameError", "", "name 'f' is not defined"), _row("d", "ex3", "passed"),
], columns=OUTCOME_COLUMNS)


def test_each_exercise_counts_where_its_submissions_ended():
    table = exercise_table(CLASS).set_index("exercise")
    assert table.loc["ex1", ["submitted", "passed", "failed_visible", "failed_hidden_only", "not_attempted",
                             "stopped"]].tolist() == [4, 1, 2, 0, 1, 0]
    assert table.loc["ex3", ["passed", "failed_visible", "failed_hidden_only", "stopped"]].tolist() == [2, 0, 1, 1]
    assert table.loc["ex2", "pass_rate"] == 0.5
    assert table.loc["ex1", "difficulty"] == 0.25


def test_discrimination_is_the_item_rest_correlation():
    item = np.array([1.0, 0.0, 0.0, 0.0])  # ex1 per student a, b, c, d
    rest = np.array([2.0, 1.0, 0.0, 1.0])  # ex2 + ex3 per student
    expected = np.corrcoef(item, rest)[0, 1]
    assert math.isclose(exercise_table(CLASS).set_index("exercise").loc["ex1", "discrimination"],
                        round(expected, 3))


def test_flags_name_exercises_almost_everyone_fails_or_passes():
    twenty = "abcdefghijklmnopqrst"
    everyone = pd.DataFrame([_row(s, "ex1", "passed") for s in twenty]
                            + [_row(s, "ex2", "failed", "visible", "CheckFailed", "x", "m") for s in twenty],
                            columns=OUTCOME_COLUMNS)
    flags = exercise_table(everyone).set_index("exercise").flag
    assert "too easy" in flags["ex1"] and "instructions" in flags["ex2"]
    assert math.isnan(exercise_table(everyone).discrimination[0])  # nothing varies: no correlation
    assert exercise_table(CLASS).set_index("exercise").flag["ex2"] == ""


def test_mistakes_are_listed_most_frequent_first_with_the_students():
    table = misconception_table(CLASS)
    first = table.iloc[0]
    assert (first.misconception, first["count"], first.students, first.share) == ("missing-keepdim", 2, "b d", 0.5)
    keys = set(table.misconception)
    assert {"bias-shape", "not-attempted", "NameError: name '…' is not defined", "time-limit"} <= keys
    assert table.set_index("misconception").loc["bias-shape", "part"] == "hidden"
    assert list(table["count"]) == sorted(table["count"], reverse=True)


def test_students_see_only_what_they_did_not_pass_and_incidents_list_limits():
    missed = student_table(CLASS)
    assert set(missed[missed.student == "a"].exercise) == set()
    assert list(missed[missed.student == "c"].misconception) == ["not-attempted", "not-attempted", "time-limit"]
    submissions = pd.DataFrame([["e", "01-tensors", 0.0, 10.0, 0.0, "not graded: autograde failed", "disk full"]],
                               columns=["student", "assignment", "score", "max_score", "percent", "status", "notes"])
    found = incidents(CLASS, submissions)
    assert found[["student", "what"]].values.tolist() == [["c", "time-limit"], ["e", "not graded: autograde failed"]]
