"""Grouping failures: a check's misconception id first, else the error's type and message shape."""

from autograder.insights.collect import NOT_ATTEMPTED, message_shape, misconception_key


def test_particulars_are_blanked_so_alike_messages_group():
    assert message_shape("x has shape [3, 4]; expected [4, 3].") == "x has shape [#, #]; expected [#, #]."
    assert message_shape("name 'fit_line' is not defined") == message_shape("name 'fit' is not defined")
    assert message_shape("loss is 1.5e-3\nsecond line") == "loss is #"
    assert message_shape("dW2 is wrong") == "dW2 is wrong"
    assert len(message_shape("a" * 500)) == 91


def test_a_failure_counts_under_its_mistake_id_else_its_shape():
    assert misconception_key("failed", "CheckFailed", "missing-keepdim", "You subtracted ...") == "missing-keepdim"
    assert misconception_key("failed", "NotImplementedError", "", "") == NOT_ATTEMPTED
    undefined = misconception_key("failed", "NameError", "", "name 'f' is not defined")
    assert undefined == "NameError: name '…' is not defined"
    assert misconception_key("failed", "ZeroDivisionError", "", "") == "ZeroDivisionError"
    assert misconception_key("passed", "", "", "") == ""
    assert misconception_key("time-limit", "", "", "") == "time-limit"
