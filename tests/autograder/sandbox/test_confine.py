"""The confining launcher, tried on a plain Python program: what it may and may not do."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import landlock
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
