"""Realistic student answers get the verdict their corpus entry states; the visible checks name the wrong ones."""

import os
from pathlib import Path

import pytest

from autograder.mutation.corpus import named_share, verdict_problem

TARGET_NAMED = 0.95

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
LESSONS = [pytest.param(p.name, marks=pytest.mark.xdist_group(p.name))
           for p in sorted((REPO / "solutions").iterdir()) if any(p.glob("*.ipynb"))]
ANSWERS = Path(__file__).resolve().parent / "answers"


@pytest.mark.parametrize("folder", LESSONS)
def test_answer_corpus_verdicts(folder, lesson_checks):
    assert (ANSWERS / f"{folder}.toml").is_file(), f"{folder} has no answer corpus"
    checks = lesson_checks(folder)
    problems, named, wrong = [], 0, 0
    for check in checks:
        problems += [p for a in check.answers if (p := verdict_problem(a, check.answer_results[a.variant.id]))]
        lesson_named, lesson_wrong = named_share(check.answers, check.answer_results)
        named, wrong = named + lesson_named, wrong + lesson_wrong
    share = named / wrong if wrong else 1.0
    line = f"{folder}: the visible checks name {named}/{wrong} wrong answers ({share:.0%}; target {TARGET_NAMED:.0%})"
    print(line)
    lines = ARTIFACTS / "answer-corpus"
    lines.mkdir(parents=True, exist_ok=True)
    (lines / f"{folder}.txt").write_text(line + "\n")
    combined = ARTIFACTS / f"answer-corpus.txt.{os.getpid()}"  # two workers may rebuild it at once
    combined.write_text("".join(p.read_text() for p in sorted(lines.glob("*.txt"))))
    combined.replace(ARTIFACTS / "answer-corpus.txt")
    assert sum(len(check.answers) for check in checks) >= 2, f"{folder}: seed the corpus with a few answers"
    assert not problems, "\n".join(problems)
    assert share >= TARGET_NAMED, line
