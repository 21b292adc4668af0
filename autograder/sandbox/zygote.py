"""A pre-imported process that forks one confined grading kernel per request.

Starting a grading kernel by exec costs about 3 s of CPU, nearly all of it `import torch`. A zygote
pays that once per worker: started with exactly the environment the confining launcher gives a
kernel, it imports the preload modules and the kernel's own code and waits on its stdin. Given a
lesson's opening cells (the instructor's explanations and experiments, which every submission that
left them unedited shares), it runs them once, so each kernel it forks starts where the exercises
begin. For each request it forks; the child, single-threaded as every fork is, applies to itself
every confinement the launcher applies (`confine.confine_process`: session, limits, pids cgroup,
user and mount namespaces with its own scratch tmpfs, capabilities, scrubbed environment, Landlock,
seccomp) and then runs the grading kernel in-process on the lesson's namespace. Nothing a kernel
does reaches the zygote or a sibling: each child has its own copy-on-write memory, scratch, cgroup
and limits, and the zygote never runs a submission's code.

A worker starts one base zygote, with no lesson cells, and has it fork a lesson zygote per lesson:
the imports are paid once per worker, and each lesson's zygote shares their pages.

Protocol, on a Unix stream socket that is the zygote's stdin and stdout: a frame is a 4-byte
big-endian length and a JSON object. The first frame is `{"cells": [source, ...]}` (possibly none);
the zygote answers `{"ready": true}` once it has imported everything and run them, or
`{"ready": false, "error": ...}`. A request frame `{"argv": [launcher options, "--", kernel
command], "log": PATH, "key_bytes": N}` is followed by the kernel's N-byte guard key, which only
the child reads; the zygote answers `{"pid": PID}`. A base zygote also takes `{"spawn": [source,
...]}` followed by one byte carrying (SCM_RIGHTS) the lesson zygote's socket: it forks a child that
runs those cells and then serves that socket exactly as above, and answers `{"pid": PID}` at once;
the lesson zygote's own `ready` frame comes on its socket.
"""

import contextlib
import ctypes
import fcntl
import importlib
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import tempfile
import time
import traceback

from autograder.sandbox import confine

_HEADER = struct.Struct(">I")
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def write_frame(fd: int, message: dict) -> None:
    """Send one frame."""
    data = json.dumps(message).encode()
    write_exact(fd, _HEADER.pack(len(data)) + data)


def read_frame(fd: int, timeout: float | None = None) -> dict | None:
    """Receive one frame; None at end of input; TimeoutError after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    header = read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    body = read_exact(fd, _HEADER.unpack(header)[0], deadline)
    return None if body is None else json.loads(body)


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytes | None:
    """Exactly `size` bytes from `fd` (never more: the bytes after them may be someone else's); None at EOF."""
    data = b""
    while len(data) < size:
        if deadline is not None and not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError("no answer in time")
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def write_exact(fd: int, data: bytes) -> None:
    """Write all of `data`."""
    while data:
        data = data[os.write(fd, data):]


def _reap(*_) -> None:
    """Collect ended kernels, so their CPU time is counted in ours (and our parent's) usage."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _forget_folder(folder: str) -> None:
    """Point what the imports remembered of the zygote's folder (import path, temporary folder) at the kernel's."""
    sys.path[:] = [os.getcwd() if entry in (folder, "") else entry for entry in sys.path]
    sys.path_importer_cache.pop(folder, None)
    importlib.invalidate_caches()
    tempfile.tempdir = None


def _close_all_but_readable_files(readable: list[str]) -> None:
    """Close every descriptor above stderr except regular files open read-only beneath `readable`.

    Those stay because libraries hold them for later reads (matplotlib's fonts, say) and the kernel
    could open them anyway; everything else (the zygote's channel, pipes, sockets, anything
    writable, anything outside the kernel's readable paths) goes.
    """
    folders = tuple(os.path.realpath(path).rstrip("/") + "/" for path in readable)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        with contextlib.suppress(OSError):
            keep = stat.S_ISREG(os.fstat(fd).st_mode) and \
                fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY and \
                os.path.realpath(f"/proc/self/fd/{fd}").startswith(folders)
            if not keep:
                os.close(fd)


def _confine_child(request: dict, done_fd: int, zygote_pid: int) -> list[str]:
    """In the forked child: take the key, confine this process; the kernel's arguments.

    The key is a local of this frame only, which is gone before the kernel runs a cell (student
    code may read the frames below its own).
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote gone (its worker gone): so is the kernel
    if os.getppid() != zygote_pid:
        os._exit(1)
    os.setsid()  # so the worker may signal the kernel's whole process group at once
    key = read_exact(0, int(request["key_bytes"])) or b""
    write_exact(done_fd, b"k")
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    args = confine.parse_args(request["argv"])
    _close_all_but_readable_files([*args.read])
    os.environ[confine.KEY_VARIABLE] = key.decode()
    del key
    own_folder = os.getcwd()
    environment = confine.confine_process(args)  # moves the key from the environment into a pipe
    os.environ.clear()
    os.environ.update(environment)
    _forget_folder(own_folder)
    return args.program[3:]  # after [python, -m, autograder.sandbox.kernel]


def _run_child(request: dict, done_fd: int, namespace: dict, zygote_pid: int) -> None:
    """In the forked child: confine it, then run the grading kernel on `namespace`; never returns."""
    code = 1
    try:
        argv = _confine_child(request, done_fd, zygote_pid)
        from IPython.core.interactiveshell import InteractiveShell

        from autograder.sandbox.kernel import launch

        InteractiveShell.clear_instance()  # the kernel makes its own shell, on the lesson's namespace
        for name, module in list(sys.modules.items()):  # the old shell's module for it (the guard would
            if getattr(module, "__dict__", None) is namespace:  # take it for a library and put it back)
                del sys.modules[name]
        launch(argv, namespace)
        code = 0
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def run_lesson_cells(cells: list[str]) -> dict:
    """Run a lesson's unchanged opening cells (the instructor's, never a submission's) as a kernel would.

    Returns the namespace they leave; raises RuntimeError naming the first cell that failed.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)  # before the imports, as in a kernel: figures are inline
    from autograder.sandbox import kernel

    kernel.preload()
    for number, source in enumerate(cells, 1):
        result = shell.run_cell(source, store_history=False)
        if "matplotlib.pyplot" in sys.modules:  # as the inline backend does: no figure outlives its cell
            sys.modules["matplotlib.pyplot"].close("all")
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            raise RuntimeError(f"lesson cell {number} failed: {type(error).__name__}: {error}")
    return shell.user_ns


def main() -> None:
    """Run the lesson cells the first frame names, then fork one confined kernel per request until stdin closes."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # whatever the imports and cells print goes to our log, never into the channel
    first = read_frame(0) or {}
    sys.stdin = open(os.devnull)  # noqa: SIM115 (for the process's life) fd 0 is the channel, not input
    cells = list(first.get("cells", []))
    _serve(reply_fd, cells, spawns=not cells)
    _reap()


def _serve(reply_fd: int, cells: list[str], spawns: bool) -> None:
    """Run `cells`, say ready, then answer requests on fd 0 until it closes (`spawns`: lesson zygotes too)."""
    try:
        namespace = run_lesson_cells(cells)
    except Exception as error:
        traceback.print_exc()
        write_frame(reply_fd, {"ready": False, "error": str(error)[:500]})
        return
    signal.signal(signal.SIGCHLD, _reap)
    write_frame(reply_fd, {"ready": True})
    channel = socket.socket(fileno=os.dup(0)) if spawns else None
    while (request := read_frame(0)) is not None:
        if "spawn" in request and channel is not None:
            write_frame(reply_fd, _spawn(request["spawn"], channel, reply_fd))
            continue
        done_read, done_write = os.pipe()
        sys.stdout.flush()  # or the child would write what is still buffered here into its own log
        sys.stderr.flush()
        zygote_pid = os.getpid()
        pid = os.fork() if "argv" in request else -1
        if pid == 0:
            os.close(done_read)
            _run_child(request, done_write, namespace, zygote_pid)
        os.close(done_write)
        taken = read_exact(done_read, 1) if pid > 0 else None  # the child has taken its key off our stdin
        os.close(done_read)
        write_frame(reply_fd, {"pid": pid} if taken else {"error": "the forked kernel ended before it started"})
        if not taken:
            return  # the key may still be in our stdin: this channel cannot be trusted any more


def _spawn(cells: list[str], channel: socket.socket, reply_fd: int) -> dict:
    """Fork a lesson zygote that runs `cells` and serves the socket passed after the request; its pid."""
    _, fds, _, _ = socket.recv_fds(channel, 1, 1)
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return {"error": "no socket came with the request"}
    sys.stdout.flush()
    sys.stderr.flush()
    base_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the lesson zygote: the base's channel is not its own
        code = 1
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the base gone (its worker gone): so is this one
            if os.getppid() == base_pid:
                channel.close()
                os.close(reply_fd)
                os.dup2(fds[0], 0)
                os.close(fds[0])
                _serve(os.dup(0), cells, spawns=False)
                _reap()
                code = 0
        except BaseException:
            with contextlib.suppress(Exception):
                traceback.print_exc()
        finally:
            os._exit(code)
    os.close(fds[0])
    return {"pid": pid}


if __name__ == "__main__":
    main()
