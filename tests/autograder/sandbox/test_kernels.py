"""Which paths a grading kernel may read, and the refusal to expose course folders."""

import os
import sys
from pathlib import Path

import pytest
from jupyter_core.utils import run_sync

from autograder.sandbox import confine, landlock
from autograder.sandbox.kernels import (
    Kernel,
    SandboxSettings,
    Zygote,
    ZygoteFailed,
    check_exposure,
    package_folders,
    readable_paths,
)

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


@pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6 or os.geteuid() != 0
                    or confine.cgroup_folder(1) is None,
                    reason="needs Linux with Landlock ABI >= 6 and a pids cgroup controller, as root")
@pytest.mark.parametrize("forked", [False, True], ids=["exec", "forked"])
def test_a_kernel_gets_a_private_scratch_folder_and_only_regular_files(tmp_path, forked):
    submission = tmp_path / "submission"
    (submission / "data").mkdir(parents=True)
    (submission / "data" / "real.csv").write_text("1,2")
    (submission / "gradebook.db").write_text("secret")
    (submission / "data" / "link.csv").symlink_to(submission / "gradebook.db")
    (submission / "linked").symlink_to(tmp_path, target_is_directory=True)
    (submission / "gradebook.db").rename(tmp_path / "gradebook.db")
    settings = SandboxSettings(memory_bytes=2 * 2**30, cpu_seconds=60, file_bytes=64 * 2**20, preload=(),
                               readable=(), environment=("PATH",), scratch_bytes=4 * 2**20, threads=64)
    root = tmp_path / "kernels"
    root.mkdir()
    zygote = Zygote(settings, root) if forked else None
    kernel = Kernel(settings, root, zygote)
    try:
        kernel.add_files(submission)
        inside = kernel.scratch_seen_by_kernel
        assert kernel.has_private_scratch()
        files = [path.relative_to(inside) for path in inside.rglob("*")]
        assert sorted(str(path) for path in files if not path.parts[0].startswith(".")) == ["data", "data/real.csv"]
        assert not any(path.is_symlink() for path in inside.rglob("*"))
        assert list(kernel.scratch.iterdir()) == [kernel.scratch / ".kernel.json"]  # the worker's view: untouched
        assert (confine.cgroup_folder(kernel.pid) / "pids.max").read_text().strip() == "64"
        client = kernel.manager.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=120)
        outputs = []
        code = "try:\n    open('big', 'wb').write(b'x' * 2**20 * 6)\nexcept OSError as error:\n    print(error.errno)"
        code += "\nimport sys\nprint(sys.dont_write_bytecode)"
        run_sync(client.execute_interactive)(code, timeout=60, output_hook=lambda msg: outputs.append(
            msg["content"].get("text", "")))
        client.stop_channels()
        # ENOSPC: 4 MiB in all, though one file may hold 64; and no import ever tries to write a __pycache__
        assert "".join(outputs).split() == ["28", "True"]
    finally:
        kernel.dispose()
        if zygote:
            zygote.close()
    assert not kernel.scratch.exists() and not confine.cgroup_folder(kernel.pid).exists()


def _run(kernel: Kernel, code: str) -> str:
    client = kernel.manager.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=120)
        outputs: list[str] = []
        run_sync(client.execute_interactive)(code, timeout=60, output_hook=lambda msg: outputs.append(
            msg["content"].get("text", "") or msg["content"].get("evalue", "")))
        return "".join(outputs)
    finally:
        client.stop_channels()


@pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6 or os.geteuid() != 0
                    or confine.cgroup_folder(1) is None,
                    reason="needs Linux with Landlock ABI >= 6 and a pids cgroup controller, as root")
def test_kernels_forked_from_one_zygote_are_confined_and_share_nothing(tmp_path):
    settings = SandboxSettings(memory_bytes=3 * 2**30, cpu_seconds=45, file_bytes=2**20, preload=("torch",),
                               readable=(), environment=("PATH",), scratch_bytes=4 * 2**20, threads=64)
    root = tmp_path / "kernels"
    root.mkdir()
    zygote = Zygote(settings, root)
    probe = ("import resource, os, torch\n"
             "status = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
             "print(status['Seccomp'].strip(), status['NoNewPrivs'].strip(),"
             " resource.getrlimit(resource.RLIMIT_CPU)[0], resource.getrlimit(resource.RLIMIT_AS)[0] == 3 * 2**30,"
             " os.getpid() == os.getsid(0))\n"
             "print(sorted(name for name in os.listdir('.') if not name.startswith('.')), 'mark' in globals())\n"
             "mark = torch.randn(3); open('left-behind', 'w').write('x')")
    try:
        seen = []
        for _ in range(2):
            kernel = Kernel(settings, root, zygote)
            try:
                seen.append((_run(kernel, probe), (confine.cgroup_folder(kernel.pid) / "pids.max").read_text().strip()))
            finally:
                kernel.dispose()
        # seccomp filter mode, no new privileges, the notebook's CPU limit, its own session; each kernel
        # starts with an empty scratch folder and namespace, whatever the one before it left
        assert seen[0] == seen[1] == ("2 1 45 True True\n[] False\n", "64")
        assert zygote.alive()
        kernel = Kernel(settings, root, zygote)
        try:  # the zygote's folder is not a kernel's to read
            code = f"try:\n    open({str(zygote.log)!r}).read()\nexcept OSError as e:\n    print(type(e).__name__)"
            assert _run(kernel, code).split() == ["PermissionError"]
        finally:
            kernel.dispose()
    finally:
        zygote.close()
    assert not zygote.folder.exists()


@pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6 or os.geteuid() != 0
                    or confine.cgroup_folder(1) is None,
                    reason="needs Linux with Landlock ABI >= 6 and a pids cgroup controller, as root")
def test_a_lesson_zygote_forked_from_the_base_gives_its_kernels_the_opening_and_the_same_confinement(tmp_path):
    settings = SandboxSettings(memory_bytes=3 * 2**30, cpu_seconds=45, file_bytes=2**20, preload=("torch",),
                               readable=(), environment=("PATH",), scratch_bytes=4 * 2**20, threads=64)
    root = tmp_path / "kernels"
    root.mkdir()
    base = Zygote(settings, root)
    probe = ("import resource, os\nstatus = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
             "print(status['Seccomp'].strip(), status['NoNewPrivs'].strip(),"
             " resource.getrlimit(resource.RLIMIT_CPU)[0], os.getpid() == os.getsid(0), globals().get('opening'))")
    try:
        lesson = Zygote(settings, root, ("import torch\nopening = int(torch.ones(3).sum()) + 39",), base)
        try:
            outputs = []
            for zygote in (lesson, base, lesson):
                kernel = Kernel(settings, root, zygote)
                try:
                    outputs.append(_run(kernel, probe))
                finally:
                    kernel.dispose()
            assert outputs == ["2 1 45 True 42\n", "2 1 45 True None\n", "2 1 45 True 42\n"]
            with pytest.raises(ZygoteFailed, match="lesson cell 1 failed: NameError"):
                Zygote(settings, root, ("undefined_name",), base)
            assert base.alive() and lesson.alive()
        finally:
            base.close()  # its lesson zygotes end with it
        lesson.process.wait(timeout=10)
        lesson.close()
    finally:
        base.close()
