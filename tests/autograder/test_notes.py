"""Notes shown to the instructor never carry control characters from a submission."""

from autograder import notes


def test_control_characters_are_shown_escaped_and_the_rest_is_kept():
    assert notes.printable("quiz\x1b[2J\x1b[H done\x07\n\u202egpj.ipynb é 中") == \
        "quiz\\x1b[2J\\x1b[H done\\x07\\n\\u202egpj.ipynb é 中"


def test_added_notes_are_escaped():
    notes.take()
    notes.add("quiz\x1b[2J.ipynb: scored 0")
    assert notes.take() == ["quiz\\x1b[2J.ipynb: scored 0"]
