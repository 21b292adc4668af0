import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_clean():
    result = subprocess.run(["ruff", "check", str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_helpers_never_import_the_grader_and_back():
    for package, forbidden in (("helpers", "autograder"), ("autograder", "helpers")):
        for module in (REPO / package).rglob("*.py"):
            text = module.read_text()
            assert f"import {forbidden}" not in text and f"from {forbidden}" not in text, module
