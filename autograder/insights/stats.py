"""Item statistics from the class's test outcomes: pass rates, mistakes, difficulty and discrimination.

Difficulty is the mean fraction of an exercise's points the class earned; discrimination is the
corrected item-total correlation (Pearson's r between an exercise's score and the student's score
on the rest of the same lesson), the usual item-analysis pair of classical test theory.
"""

import numpy as np
import pandas as pd

from autograder import outcomes
from autograder.insights.collect import NOT_ATTEMPTED
from autograder.report import NOT_GRADED_FAILED

HARD_BELOW = 0.2  # pass rate at or under which an exercise is flagged as failed by almost everyone
EASY_ABOVE = 0.95  # pass rate at or over which it is flagged as passed by almost everyone
LIMITS = (outcomes.TIME_LIMIT, outcomes.KERNEL_DIED, outcomes.UNTRUSTED, outcomes.NOT_RUN)
EXERCISE_COLUMNS = ["assignment", "exercise", "submitted", "passed", "pass_rate", "failed_visible",
                    "failed_hidden_only", "not_attempted", "stopped", "difficulty", "discrimination", "flag"]
MISCONCEPTION_COLUMNS = ["assignment", "exercise", "misconception", "count", "share", "part", "example", "students"]


def discrimination(outcomes_table: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlation per (assignment, exercise); NaN where either side does not vary."""
    values = {}
    for assignment, rows in outcomes_table.groupby("assignment"):
        fractions = rows.assign(fraction=rows.score / rows.max_score.where(rows.max_score > 0)).pivot_table(
            index="student", columns="exercise", values="fraction", aggfunc="sum").fillna(0.0)
        for exercise in fractions.columns:
            item = fractions[exercise]
            rest = fractions.drop(columns=exercise).sum(axis=1)
            spread = item.std(ddof=0) * rest.std(ddof=0)
            values[(assignment, exercise)] = float(np.corrcoef(item, rest)[0, 1]) if spread > 0 else float("nan")
    return pd.Series(values, dtype=float)


def _flag(pass_rate: float, discriminates: float) -> str:
    if pass_rate <= HARD_BELOW:
        return "almost everyone fails: are the instructions clear?"
    if pass_rate >= EASY_ABOVE:
        return "almost everyone passes: too easy?"
    if discriminates < 0:
        return "students who do well elsewhere fail it more: check the test"
    return ""


def exercise_table(outcomes_table: pd.DataFrame) -> pd.DataFrame:
    """One row per exercise: who passed, where the others failed, difficulty, discrimination and a flag."""
    correlation = discrimination(outcomes_table)
    rows = []
    for (assignment, exercise), group in outcomes_table.groupby(["assignment", "exercise"], sort=True):
        failed = group[group.outcome == outcomes.FAILED]
        attempted = failed[failed.misconception != NOT_ATTEMPTED]
        submitted, passed = len(group), int((group.outcome == outcomes.PASSED).sum())
        pass_rate = passed / submitted
        discriminates = correlation.get((assignment, exercise), float("nan"))
        rows.append([assignment, exercise, submitted, passed, round(pass_rate, 3),
                     int((attempted.part == outcomes.VISIBLE).sum()), int((attempted.part == outcomes.HIDDEN).sum()),
                     int((failed.misconception == NOT_ATTEMPTED).sum()), int(group.outcome.isin(LIMITS).sum()),
                     round(float((group.score / group.max_score).mean()), 3), round(discriminates, 3),
                     _flag(pass_rate, discriminates)])
    return pd.DataFrame(rows, columns=EXERCISE_COLUMNS)


def misconception_table(outcomes_table: pd.DataFrame) -> pd.DataFrame:
    """Each mistake that fired on each exercise, most frequent first, with the students concerned."""
    failed = outcomes_table[outcomes_table.misconception != ""]
    submitted = outcomes_table.groupby(["assignment", "exercise"]).size()
    rows = []
    for (assignment, exercise, key), group in failed.groupby(["assignment", "exercise", "misconception"]):
        parts = sorted(set(group.part) - {""})
        rows.append([assignment, exercise, key, len(group), round(len(group) / submitted[(assignment, exercise)], 3),
                     "/".join(parts), group.message.iloc[0], " ".join(sorted(group.student))])
    table = pd.DataFrame(rows, columns=MISCONCEPTION_COLUMNS)
    return table.sort_values(["count", "assignment", "exercise", "misconception"], ascending=[False, True, True, True],
                             ignore_index=True)


def student_table(outcomes_table: pd.DataFrame) -> pd.DataFrame:
    """Per student, every exercise not passed and the mistake it was counted as, lesson by lesson."""
    missed = outcomes_table[outcomes_table.outcome != outcomes.PASSED]
    columns = ["student", "assignment", "exercise", "score", "max_score", "misconception", "message"]
    return missed[columns].sort_values(["student", "assignment", "exercise"], ignore_index=True)


def incidents(outcomes_table: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """Submissions that crashed their kernel, hit a limit, could not be trusted or failed to grade."""
    rows = [[row.student, row.assignment, row.exercise, row.outcome, row.message]
            for row in outcomes_table[outcomes_table.outcome.isin(LIMITS)].itertuples()]
    rows += [[row.student, row.assignment, "", row.status, row.notes]
             for row in submissions[submissions.status == NOT_GRADED_FAILED].itertuples()]
    return pd.DataFrame(rows, columns=["student", "assignment", "exercise", "what", "detail"])
