"""The README's commands are real: every `make` target exists and every CLI line parses."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
SHELL_LINES = [
    line.split("#")[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    for line in block.splitlines()
    if line.split("#")[0].strip()
]


def _commands(prefix: str) -> list[str]:
    found = []
    for line in SHELL_LINES:
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith(prefix):
                found.append(part)
    return found


def test_readme_has_the_two_commands():
    assert "make grade" in SHELL_LINES and "make test" in SHELL_LINES


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("command", _commands("make "))
def test_make_targets_exist(command):
    target = command.split()[1]
    result = subprocess.run(["make", "-n", "-C", str(REPO), target], capture_output=True, text=True)
    assert result.returncode == 0, f"`{command}` from the README: {result.stderr}"


@pytest.mark.parametrize("command", _commands("python -m autograder"))
def test_autograder_commands_parse(command):
    argv = shlex.split(command)[3:]
    build_parser().parse_args(argv)  # exits (SystemExit) on an unknown command or option


@pytest.mark.parametrize("command", _commands("nbgrader "))
def test_stock_nbgrader_commands_exist(command):
    subcommand = command.split()[1]
    nbgrader = shutil.which("nbgrader", path=str(Path(sys.executable).parent)) or shutil.which("nbgrader")
    assert nbgrader, "nbgrader is not on PATH"
    result = subprocess.run([nbgrader, subcommand, "--help"], capture_output=True, text=True, cwd=REPO / "autograder")
    assert result.returncode == 0, f"`nbgrader {subcommand}` from the README does not exist"


def test_documented_paths_exist():
    for path in ("autograder/nbgrader_config.py", "autograder/demo_class/roster.toml", "notebooks/01-tensors",
                 "solutions/01-tensors/tensors.ipynb", ".ci/run", "environment.yml"):
        assert (REPO / path).exists(), path
        assert path.split("/")[0] in README
