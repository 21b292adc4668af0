"""Student feedback for test cells: one line of points and message."""

import nbformat

from autograder.preprocessors.feedback import PointsAndMessages


def graded_cell(score: float, outputs: list) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("assert secret_check()", outputs=outputs)
    cell.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": "t", "score": score, "points": 2}
    return cell


def run(cell: nbformat.NotebookNode) -> str:
    notebook = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="1\n")])])
    notebook, _ = PointsAndMessages().preprocess(notebook, {})
    assert notebook.cells[1].outputs[0].text == "1\n"  # student cells keep their output
    [output] = notebook.cells[0].outputs
    return output.text


def test_a_failed_test_shows_points_and_message_only():
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="shape is [3]; expected [3, 1]",
                                   traceback=["\x1b[31mTraceback ...", "assert secret_check()"])
    printed = nbformat.v4.new_output("stream", name="stdout", text="hidden test source leaked\n")
    assert run(graded_cell(0, [printed, error])) == "✗ 0 / 2 points — CheckFailed: shape is [3]; expected [3, 1]\n"


def test_a_passed_test_shows_its_points_and_long_messages_are_cut():
    assert run(graded_cell(2, [])) == "✓ 2 / 2 points\n"
    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="x" * 1000, traceback=[])
    text = run(graded_cell(0, [error]))
    assert len(text) < 400 and text.endswith("…\n")
