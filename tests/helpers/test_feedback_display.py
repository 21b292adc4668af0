import pytest
from IPython.core.interactiveshell import InteractiveShell

from helpers import feedback_display


@pytest.fixture
def shell(monkeypatch):
    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    assert feedback_display.install_feedback_display()
    yield shell
    shell.set_custom_exc((), None)


def test_check_failure_is_one_line_and_still_an_error(shell, capsys):
    result = shell.run_cell("from helpers import expect\nexpect(False, 'y has shape [4, 4]; expected [4, 1].')")
    out = capsys.readouterr().out
    assert not result.success
    assert "✗ y has shape [4, 4]; expected [4, 1]." in out
    assert "Traceback" not in out


def test_not_implemented_gets_a_plain_explanation(shell, capsys):
    result = shell.run_cell("raise NotImplementedError()")
    assert not result.success
    assert "Not answered yet" in capsys.readouterr().out


def test_other_errors_keep_their_traceback(shell, capsys):
    result = shell.run_cell("1 / 0")
    assert not result.success
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_outside_ipython_nothing_is_installed(monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    assert feedback_display.install_feedback_display() is False
