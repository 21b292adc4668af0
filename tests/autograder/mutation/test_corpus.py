"""Corpus files are read strictly, and each kind of answer has its own expected verdict."""

import pytest

from autograder.mutation.corpus import Answer, load_answers, named_share, verdict_problem
from autograder.mutation.runner import Outcome, Variant, VariantResult

NAMED = Outcome("CheckFailed", "You subtracted the column means.")
CRASH = Outcome("RuntimeError", "shapes cannot be multiplied")
PASS = Outcome()


def _answer(kind: str, number: int = 1) -> Answer:
    return Answer("ex2-center-rows", kind, "a misconception", "def center_rows(x):\n    return x\n", number)


def _result(visible: Outcome, hidden: Outcome | None) -> VariantResult:
    return VariantResult(Variant("answer-1", ""), visible, hidden)


def test_load_answers_reads_entries_and_rejects_unknown_kinds(tmp_path):
    corpus = tmp_path / "lesson.toml"
    corpus.write_text("[[answer]]\nexercise = 'ex1'\nkind = 'wrong'\nwhy = 'w'\nsource = '''x = 1\n'''\n")
    (answer,) = load_answers(corpus)
    assert (answer.exercise, answer.kind, answer.number, answer.variant.id) == ("ex1", "wrong", 1, "answer-1")
    corpus.write_text("[[answer]]\nexercise = 'ex1'\nkind = 'almost'\nwhy = 'w'\nsource = 'x = 1'\n")
    with pytest.raises(ValueError, match="kind 'almost'"):
        load_answers(corpus)
    assert load_answers(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(("kind", "visible", "hidden", "holds"), [
    ("wrong", NAMED, None, True),
    ("wrong", CRASH, None, False),  # caught, but by a crash: the student is not told what is wrong
    ("wrong", PASS, NAMED, False),
    ("wrong-hidden", PASS, NAMED, True),
    ("wrong-hidden", PASS, PASS, False),
    ("right", PASS, PASS, True),
    ("right", PASS, NAMED, False),
])
def test_each_kind_expects_its_verdict(kind, visible, hidden, holds):
    assert (verdict_problem(_answer(kind), _result(visible, hidden)) is None) == holds


def test_an_answer_that_was_not_tried_is_a_problem():
    assert "not tried" in verdict_problem(_answer("right"), None)


def test_named_share_counts_wrong_answers_only():
    answers = [_answer("wrong", 1), _answer("wrong-hidden", 2), _answer("right", 3)]
    results = {"answer-1": _result(NAMED, None), "answer-2": _result(PASS, NAMED), "answer-3": _result(PASS, PASS)}
    assert named_share(answers, results) == (1, 2)
