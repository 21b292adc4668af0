"""The command line: every subcommand the parser offers has exactly one handler."""

from autograder.cli import COMMANDS, build_parser


def test_every_subcommand_has_a_handler_and_every_handler_a_subcommand():
    """A subcommand added to the parser without a handler (or the reverse) fails here, not at a user's prompt."""
    parser = build_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command").choices
    assert set(subcommands) == set(COMMANDS)
