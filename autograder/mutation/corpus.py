"""Realistic student answers per lesson, each with the verdict the tests must reach, and the check of it.

A lesson's corpus is `<folder>/<lesson folder>.toml`, a list of `[[answer]]` tables:
`exercise` (grade_id of the solution cell the answer replaces), `kind`, `why` (one line: the
misconception, or the alternative) and `source` (the whole cell). Kinds:

- `wrong`: the visible check must fail with a check message (CheckFailed), so the student is told;
- `wrong-hidden`: only the hidden tests may catch it (`why` says why no visible check can);
- `right`: a correct alternative that the visible check and the hidden tests must both pass.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.mutation.runner import Variant, VariantResult

KINDS = ("wrong", "wrong-hidden", "right")


@dataclass(frozen=True)
class Answer:
    """One corpus entry."""

    exercise: str
    kind: str
    why: str
    source: str
    number: int  # position in the file, from 1

    @property
    def variant(self) -> Variant:
        """The answer as a replacement for its exercise's solution cell."""
        return Variant(f"answer-{self.number}", self.source)


def load_answers(path: Path) -> list[Answer]:
    """Read a lesson's corpus file (an absent file is an empty corpus)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("answer", [])
    answers = []
    for number, entry in enumerate(entries, start=1):
        missing = {"exercise", "kind", "why", "source"} - set(entry)
        if missing:
            raise ValueError(f"{path}: answer {number} lacks {sorted(missing)}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{path}: answer {number} has kind {entry['kind']!r}; use one of {KINDS}")
        answers.append(Answer(entry["exercise"], entry["kind"], entry["why"].strip(), entry["source"], number))
    return answers


def verdict_problem(answer: Answer, result: VariantResult) -> str | None:
    """Why the tests' verdict on `answer` breaks its kind's expectation, or None when it holds."""
    seen = _describe(result)
    if answer.kind == "wrong" and not result.named:
        return f"answer {answer.number} ({answer.exercise}, {answer.why}): the visible check must name it; {seen}"
    if answer.kind == "wrong-hidden" and not result.killed:
        return f"answer {answer.number} ({answer.exercise}, {answer.why}): no test fails it; {seen}"
    if answer.kind == "right" and result.killed:
        return f"answer {answer.number} ({answer.exercise}, {answer.why}): a correct answer fails; {seen}"
    return None


def _describe(result: VariantResult) -> str:
    if not result.visible.passed:
        return f"visible part: {result.visible.error}: {result.visible.message[:200]}"
    if result.hidden is not None and not result.hidden.passed:
        return f"visible part passed, hidden tests: {result.hidden.error}: {result.hidden.message[:200]}"
    return "visible part and hidden tests passed"


def named_share(answers: list[Answer], results: dict[str, VariantResult]) -> tuple[int, int]:
    """(wrong answers the visible check names, all wrong answers) over `wrong` and `wrong-hidden` entries."""
    wrong = [a for a in answers if a.kind != "right" and a.variant.id in results]
    return sum(results[a.variant.id].named for a in wrong), len(wrong)
