"""Mutation scores per exercise, declared equivalent mutants, and the Markdown and text reports.

Declarations live in `<folder>/<lesson folder>.toml` as `[[equivalent]]` tables with `exercise`
(grade_id of the solution cell), `mutant` (the mutant id from the report) and `reason` (why no
test can tell it from the answer: it computes the same thing on every input the exercise allows).
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.mutation.operators import Mutant
from autograder.mutation.runner import ExerciseRun, LessonRun

TARGET_KILLED = 0.90


@dataclass(frozen=True)
class Survivor:
    """A mutant no test killed, with the declared reason it is equivalent (empty when undeclared)."""

    mutant: Mutant
    reason: str


@dataclass
class ExerciseScore:
    """The mutation score of one exercise."""

    lesson: str
    exercise: str
    total: int
    killed: int
    visible: int
    named: int
    original_passes: bool
    seconds: float = 0.0
    survivors: list[Survivor] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # declarations that match no surviving mutant

    @property
    def killed_share(self) -> float:
        """Killed mutants over all mutants (1.0 for an exercise without mutants)."""
        return self.killed / self.total if self.total else 1.0

    def problems(self) -> list[str]:
        """What keeps this exercise from the target: a failing answer, too few kills, undeclared survivors."""
        where = f"{self.lesson} {self.exercise}"
        found = []
        if not self.original_passes:
            found.append(f"{where}: the instructor's answer fails its own tests")
        if self.killed_share < TARGET_KILLED:
            found.append(f"{where}: {self.killed}/{self.total} mutants killed ({self.killed_share:.0%}), "
                         f"below {TARGET_KILLED:.0%}")
        for survivor in self.survivors:
            if not survivor.reason:
                found.append(f"{where}: undeclared survivor {survivor.mutant.id}: {survivor.mutant.diff}")
        for mutant_id in self.stale:
            found.append(f"{where}: {mutant_id} is declared equivalent but is killed or no longer exists")
        return found


def load_declarations(path: Path) -> dict[tuple[str, str], str]:
    """Map (exercise, mutant id) to the declared reason, from a lesson's declaration file (absent: none)."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("equivalent", [])
    declared = {}
    for number, entry in enumerate(entries, start=1):
        if not {"exercise", "mutant", "reason"} <= set(entry) or not entry["reason"].strip():
            raise ValueError(f"{path}: declaration {number} needs exercise, mutant and a reason")
        declared[(entry["exercise"], entry["mutant"])] = entry["reason"].strip()
    return declared


def score_exercise(lesson: str, run: ExerciseRun, mutants: dict[str, Mutant],
                   declared: dict[tuple[str, str], str]) -> ExerciseScore:
    """Score the mutant results of one exercise run (other replacement answers are ignored)."""
    grade_id = run.exercise.grade_id
    results = [r for r in run.results if r.variant.id in mutants]
    score = ExerciseScore(lesson, grade_id, len(results), sum(r.killed for r in results),
                          sum(r.caught_by_visible for r in results), sum(r.named for r in results),
                          run.original_passes, run.seconds)
    surviving = set()
    for result in results:
        if not result.killed:
            surviving.add(result.variant.id)
            reason = declared.get((grade_id, result.variant.id), "")
            score.survivors.append(Survivor(mutants[result.variant.id], reason))
    score.stale = sorted(m for (e, m) in declared if e == grade_id and m not in surviving)
    return score


def score_lesson(lesson: LessonRun, mutants: dict[str, dict[str, Mutant]],
                 declared: dict[tuple[str, str], str]) -> list[ExerciseScore]:
    """Score every exercise of a lesson run; `mutants` maps grade_id to that exercise's mutants by id."""
    folder = lesson.notebook.parent.name
    scores = [score_exercise(folder, run, mutants.get(run.exercise.grade_id, {}), declared)
              for run in lesson.exercises]
    exercises = {run.exercise.grade_id for run in lesson.exercises}
    for exercise, mutant_id in declared:
        if exercise not in exercises:
            orphan = ExerciseScore(folder, exercise, 0, 0, 0, 0, True, stale=[mutant_id])
            scores.append(orphan)
    return scores


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def summary_table(scores: list[ExerciseScore]) -> str:
    """One plain-text table: a row per exercise with mutants, killed, caught by the visible check, named."""
    header = ("lesson", "exercise", "mutants", "killed", "killed%", "visible", "named", "survivors", "undeclared")
    rows = [header]
    for s in scores:
        undeclared = sum(not survivor.reason for survivor in s.survivors)
        rows.append((s.lesson, s.exercise, str(s.total), str(s.killed), _percent(s.killed, s.total),
                     str(s.visible), str(s.named), str(len(s.survivors)), str(undeclared)))
    total = sum(s.total for s in scores)
    killed = sum(s.killed for s in scores)
    rows.append(("all", "", str(total), str(killed), _percent(killed, total), str(sum(s.visible for s in scores)),
                 str(sum(s.named for s in scores)), str(sum(len(s.survivors) for s in scores)),
                 str(sum(not v.reason for s in scores for v in s.survivors))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def markdown_report(scores: list[ExerciseScore]) -> str:
    """The Markdown report: the score table, then each exercise's survivors with their diffs and reasons."""
    lines = ["# Mutation report · 变异测试报告", "",
             f"Target: at least {TARGET_KILLED:.0%} of each exercise's mutants killed, every survivor declared "
             "equivalent in `tests/notebooks/mutants/<lesson>.toml`. *visible*: the visible check failed; "
             "*named*: it failed with a check message (CheckFailed).", "",
             "| lesson | exercise | mutants | killed | killed % | visible | named | survivors | undeclared | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in scores:
        undeclared = sum(not survivor.reason for survivor in s.survivors)
        lines.append(f"| {s.lesson} | {s.exercise} | {s.total} | {s.killed} | {_percent(s.killed, s.total)} | "
                     f"{s.visible} | {s.named} | {len(s.survivors)} | {undeclared} | {s.seconds:.0f} |")
    for s in scores:
        problems = s.problems()
        if not s.survivors and not problems:
            continue
        lines += ["", f"## {s.lesson} · {s.exercise}", ""]
        lines += [f"- **problem**: {problem}" for problem in problems if "undeclared survivor" not in problem]
        for survivor in s.survivors:
            reason = f" — equivalent: {survivor.reason}" if survivor.reason else " — **undeclared**"
            lines.append(f"- `{survivor.mutant.id}` {survivor.mutant.diff}{reason}")
    return "\n".join(lines) + "\n"
