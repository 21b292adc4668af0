"""A test cell is scored on its printed text and its signed report, never on what the kernel emitted."""

from nbformat.notebooknode import NotebookNode

from autograder.preprocessors.execute import SandboxedExecute

STREAM = NotebookNode(output_type="stream", name="stdout", text="✓ Exercise 1\n")
RESULT = NotebookNode(output_type="execute_result", data={"text/plain": "8"}, metadata={}, execution_count=1)
ERROR = NotebookNode(output_type="error", ename="CheckFailed", evalue="wrong shape", traceback=["✗ wrong shape"])


def test_a_passing_report_keeps_only_the_printed_text():
    outputs = SandboxedExecute._verified_outputs([STREAM, RESULT, ERROR], {"status": "ok"}, "")
    assert outputs == [STREAM]


def test_a_failing_report_adds_one_error_with_the_kernels_traceback_when_it_agrees():
    report = {"status": "error", "ename": "CheckFailed", "evalue": "wrong shape"}
    outputs = SandboxedExecute._verified_outputs([RESULT, STREAM, ERROR], report, "")
    assert [o.output_type for o in outputs] == ["stream", "error"]
    assert outputs[1].ename == "CheckFailed" and outputs[1].traceback == ["✗ wrong shape"]


def test_an_emitted_error_that_the_report_does_not_confirm_is_not_used():
    report = {"status": "error", "ename": "AssertionError", "evalue": ""}
    outputs = SandboxedExecute._verified_outputs([ERROR], report, "")
    assert outputs[0].ename == "AssertionError" and outputs[0].traceback == ["AssertionError: "]


def test_a_problem_scores_zero_whatever_the_kernel_said():
    outputs = SandboxedExecute._verified_outputs([RESULT, STREAM], {"status": "ok"}, "the guard report was forged")
    assert [o.output_type for o in outputs] == ["stream", "error"] and outputs[1].ename == "IntegrityError"
