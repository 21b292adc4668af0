"""The confining launcher, tried on a plain Python program: what it may and may not do."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import confine, landlock
from autograder.sandbox.kernels import SYSTEM_READABLE, interpreter_folders

pytestmark = pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6,
                                reason="needs Linux with Landlock ABI >= 6")
PROBE = """
import os, socket, sys
def attempt(name, action):
    try:
        action()
        print(name, "ALLOWED")
    except Exception as error:
        print(name, "DENIED", type(error).__name__)
attempt("read-secret", lambda: open(sys.argv[1]).read())
attempt("list-secret-folder", lambda: os.listdir(os.path.dirname(sys.argv[1])))
attempt("write-scratch", lambda: open("written.txt", "w").write("x"))
attempt("write-elsewhere", lambda: open(sys.argv[2], "w").write("x"))
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=2))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
attempt("fork", os.fork)
attempt("signal-parent", lambda: os.kill(os.getppid(), 0))
attempt("parent-environ", lambda: open(f"/proc/{os.getppid()}/environ").read())
attempt("secret-variable", lambda: os.environ["GRADER_SECRET"])
attempt("big-allocation", lambda: bytearray(3 * 2**30))
attempt("thread", lambda: __import__("threading").Thread(target=print).start())
"""


def confined(tmp_path: Path, *arguments: str) -> dict[str, str]:
    scratch, secret = tmp_path / "scratch", tmp_path / "secret" / "answers.txt"
    scratch.mkdir()
    secret.parent.mkdir()
    secret.write_text("42")
    (scratch / "probe.py").write_text(PROBE)
    server = socket.create_server(("127.0.0.1", 0))
    reads = [item for path in [*SYSTEM_READABLE, *interpreter_folders()] for item in ("--read", path)]
    command = [sys.executable, "-m", "autograder.sandbox.confine", "--scratch", str(scratch), *reads,
               "--memory", str(2 * 2**30), "--keep-env", "PATH", *arguments, "--", sys.executable,
               str(scratch / "probe.py"), str(secret), str(tmp_path / "elsewhere.txt"), str(server.getsockname()[1])]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, GRADER_SECRET="hunter2"))
    server.close()
    assert result.returncode == 0, result.stderr
    return {line.split()[0]: line.split()[1] for line in result.stdout.splitlines() if len(line.split()) >= 2}


def test_the_sandbox_allows_only_its_scratch_folder_and_threads(tmp_path):
    outcome = confined(tmp_path)
    assert outcome == {
        "read-secret": "DENIED", "list-secret-folder": "DENIED", "write-scratch": "ALLOWED",
        "write-elsewhere": "DENIED", "tcp": "DENIED", "udp": "DENIED", "fork": "DENIED",
        "signal-parent": "DENIED", "parent-environ": "DENIED", "secret-variable": "DENIED",
        "big-allocation": "DENIED", "thread": "ALLOWED",
    }
    assert (tmp_path / "scratch" / "written.txt").read_text() == "x"
    assert not (tmp_path / "elsewhere.txt").exists()


def test_the_launcher_requires_a_program():
    result = subprocess.run([sys.executable, "-m", "autograder.sandbox.confine", "--scratch", "/tmp"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "no program given" in result.stderr


RESOURCE_PROBE = """
import os, threading, time
written = 0
try:
    for chunk in range(20):
        with open(f"fill{chunk}", "wb") as handle:
            handle.write(b"x" * 2**20)
        written += 1
    print("disk ROOM", written)
except OSError as error:
    print("disk FULL", error.errno, written)
threading.stack_size(64 * 2**10)
started = []
try:
    for _ in range(500):
        thread = threading.Thread(target=time.sleep, args=(1,))
        thread.start()
        started.append(thread)
    print("threads STARTED", len(started))
except RuntimeError:
    print("threads REFUSED", len(started))
"""


@pytest.mark.skipif(os.geteuid() != 0 or confine.cgroup_folder(1) is None,
                    reason="the hard limits need root (or user namespaces) and a pids cgroup controller")
def test_the_scratch_folder_has_a_total_quota_and_threads_a_cap(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "probe.py").write_text(RESOURCE_PROBE)
    reads = [item for path in [*SYSTEM_READABLE, *interpreter_folders()] for item in ("--read", path)]
    command = [sys.executable, "-m", "autograder.sandbox.confine", "--scratch", str(scratch), *reads,
               "--scratch-bytes", str(8 * 2**20), "--threads", "40", "--file-bytes", str(64 * 2**20),
               "--", sys.executable, str(scratch / "probe.py")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=60)
    confine.release_cgroup(process.pid)
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["disk"].startswith("FULL 28 "), (out, err)  # 8 MiB in all, though each file may be 64 MiB
    assert int(lines["disk"].split()[-1]) < 8
    assert lines["threads"].startswith("REFUSED ") and int(lines["threads"].split()[1]) < 40, (out, err)
    assert sorted(path.name for path in scratch.iterdir()) == ["probe.py"]  # the writes lived in its own tmpfs
    assert not confine.cgroup_folder(process.pid).exists()
