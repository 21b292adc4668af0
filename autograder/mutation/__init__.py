"""Mutation testing of each exercise and the answer corpus: do the checks catch wrong answers?

`check_lesson` runs one lesson notebook once, trying at each exercise every mutant of the
instructor's answer (operators.py) and every corpus answer (corpus.py) in one kernel (runner.py),
and scores the mutants against the declared equivalent ones (report.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.mutation.corpus import Answer, load_answers
from autograder.mutation.operators import Mutant, mutants
from autograder.mutation.report import ExerciseScore, load_declarations, score_lesson
from autograder.mutation.runner import LessonRun, LessonRunner, Variant, VariantResult


@dataclass
class LessonCheck:
    """One lesson's run: mutation scores per exercise, and each corpus answer with its result."""

    run: LessonRun
    scores: list[ExerciseScore]
    answers: list[Answer]
    answer_results: dict[str, VariantResult]


def check_lesson(notebook: Path, declarations: Path | None = None, answers: Path | None = None,
                 exercise: str | None = None, with_mutants: bool = True, timeout: float = 30.0,
                 progress: Callable[[str], None] | None = None) -> LessonCheck:
    """Run `notebook` with its mutants (scored against the declarations file) and its corpus answers.

    `exercise` restricts both to one grade_id. `declarations` and `answers` are the lesson's TOML
    files; either may be absent.
    """
    runner = LessonRunner(notebook, timeout, progress)
    chosen = [e for e in runner.exercises if exercise in (None, e.grade_id)]
    if exercise and not chosen:
        raise ValueError(f"{notebook}: no exercise {exercise!r} (there are {[e.grade_id for e in runner.exercises]})")
    found: dict[str, dict[str, Mutant]] = {
        e.grade_id: ({m.id: m for m in mutants(e.source)} if with_mutants else {}) for e in chosen}
    corpus = [a for a in load_answers(answers) if exercise in (None, a.exercise)] if answers else []
    unknown = {a.exercise for a in corpus} - {e.grade_id for e in runner.exercises}
    if unknown:
        raise ValueError(f"{answers}: no exercise named {sorted(unknown)} in {notebook.name}")
    variants: dict[str, list[Variant]] = {
        grade_id: [Variant(m.id, m.source) for m in by_id.values()] for grade_id, by_id in found.items()}
    for answer in corpus:
        variants.setdefault(answer.exercise, []).append(answer.variant)
    run = runner.run(variants)
    declared = load_declarations(declarations) if declarations else {}
    if exercise:
        declared = {key: reason for key, reason in declared.items() if key[0] == exercise}
    scores = [s for s in score_lesson(run, found, declared) if exercise in (None, s.exercise)] if with_mutants else []
    results = {r.variant.id: r for e in run.exercises for r in e.results if r.variant.id.startswith("answer-")}
    return LessonCheck(run, scores, corpus, results)
