"""Every exercise's checks kill at least 90 % of the mutants of its answer; every survivor is declared."""

import os
from pathlib import Path

import pytest

from autograder.mutation.report import markdown_report, summary_table

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
LESSONS = [pytest.param(p.name, marks=pytest.mark.xdist_group(p.name))
           for p in sorted((REPO / "solutions").iterdir()) if any(p.glob("*.ipynb"))]



def _write_report(folder: str, scores) -> None:
    """Write this lesson's section, then rebuild test-artifacts/mutation-report.md from every section so far."""
    sections = ARTIFACTS / "mutation"
    sections.mkdir(parents=True, exist_ok=True)
    (sections / f"{folder}.md").write_text(markdown_report(scores))
    combined = ARTIFACTS / f"mutation-report.md.{os.getpid()}"  # two workers may rebuild it at once
    combined.write_text("\n".join(p.read_text() for p in sorted(sections.glob("*.md"))))
    combined.replace(ARTIFACTS / "mutation-report.md")


@pytest.mark.parametrize("folder", LESSONS)
def test_checks_kill_the_mutants_of_every_answer(folder, lesson_checks):
    scores = [score for check in lesson_checks(folder) for score in check.scores]
    _write_report(folder, scores)
    print(summary_table(scores))
    assert scores and all(score.total for score in scores), f"{folder}: no exercise was mutated"
    problems = [problem for score in scores for problem in score.problems()]
    assert not problems, "\n".join(problems)
