"""Which paths a grading kernel may read, and the refusal to expose course folders."""

from pathlib import Path

import pytest

from autograder.sandbox.kernels import SandboxSettings, check_exposure, package_folders, readable_paths

REPO = Path(__file__).resolve().parents[3]


def test_preloaded_packages_are_readable_as_their_own_folders_only():
    settings = SandboxSettings(memory_bytes=1, cpu_seconds=1, file_bytes=1, preload=("helpers", "torch"),
                               readable=(), environment=())
    folders = package_folders(settings.preload)
    assert folders["helpers"] == str(REPO / "helpers")
    assert folders["autograder"] == str(REPO / "autograder")
    paths = readable_paths(settings)
    assert str(REPO) not in paths and str(REPO / "solutions") not in paths


def test_a_readable_path_containing_a_secret_folder_is_refused(tmp_path):
    check_exposure([str(tmp_path / "venv")], [tmp_path / "solutions"])  # siblings are fine
    with pytest.raises(RuntimeError, match="would expose"):
        check_exposure([str(tmp_path)], [tmp_path / "solutions"])
    with pytest.raises(RuntimeError, match="would expose"):
        check_exposure([str(tmp_path / "work")], [tmp_path / "work"])
