"""How a test cell ended, as the grader stores it in the cell's metadata and reports read it back."""

import nbformat

from autograder import outcomes

SOURCE = "check(a)\nassert b\n### BEGIN HIDDEN TESTS\nassert c\n### END HIDDEN TESTS\n"


def test_a_failure_after_the_hidden_marker_is_a_hidden_test_failure():
    assert outcomes.failed_part(SOURCE, 1) == outcomes.VISIBLE
    assert outcomes.failed_part(SOURCE, 2) == outcomes.VISIBLE
    assert outcomes.failed_part(SOURCE, 4) == outcomes.HIDDEN
    assert outcomes.failed_part("check(a)\n", 1) == outcomes.VISIBLE


def test_what_is_recorded_reads_back():
    cell = nbformat.v4.new_code_cell("pass")
    outcomes.record(cell, outcomes.FAILED, part=outcomes.HIDDEN, ename="CheckFailed", mistake="bias-shape")
    assert outcomes.read(cell) == {"outcome": "failed", "part": "hidden", "ename": "CheckFailed",
                                   "mistake": "bias-shape"}


def test_a_cell_without_a_valid_mark_reads_as_not_run():
    for metadata in ({}, {"autograder": "passed"}, {"autograder": {"outcome": "aced"}}, {"autograder": None}):
        cell = nbformat.v4.new_code_cell("pass", metadata=metadata)
        assert outcomes.read(cell)["outcome"] == outcomes.NOT_RUN
