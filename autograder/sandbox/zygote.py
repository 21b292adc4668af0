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

Protocol on the zygote's stdin/stdout: a frame is a 4-byte big-endian length and a JSON object.
The first frame is `{"cells": [source, ...]}` (possibly none); the zygote answers `{"ready": true}`
once it has imported everything and run them, or `{"ready": false, "error": ...}`. A request frame
`{"argv": [launcher options, "--", kernel command], "log": PATH, "key_bytes": N}` is followed by
the kernel's N-byte guard key, which only the child reads; the zygote answers `{"pid": PID}`.
"""

import contextlib
import fcntl
import importlib
import json
import os
import signal
import stat
import struct
import sys
import tempfile
import traceback

from autograder.sandbox import confine

_HEADER = struct.Struct(">I")


def write_frame(fd: int, message: dict) -> None:
    """Send one frame."""
    data = json.dumps(message).encode()
    _write_all(fd, _HEADER.pack(len(data)) + data)


def read_frame(fd: int) -> dict | None:
    """Receive one frame; None at end of input."""
    header = read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = read_exact(fd, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


def read_exact(fd: int, size: int) -> bytes | None:
    """Exactly `size` bytes from `fd` (never more: the bytes after them may be someone else's); None at EOF."""
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _write_all(fd: int, data: bytes) -> None:
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


def _close_all_but_read_only_files() -> None:
    """Close every descriptor above stderr except regular files open for reading only.

    Those stay because libraries hold them for later reads (matplotlib's fonts, say); everything
    else (the zygote's channel, pipes, sockets, anything writable) goes.
    """
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        with contextlib.suppress(OSError):
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
            if not regular or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY:
                os.close(fd)


def _run_child(request: dict, done_fd: int, namespace: dict) -> None:
    """In the forked child: take the key, confine this process, run the grading kernel; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # first, so the worker may signal the kernel's whole process group at once
        key = read_exact(0, int(request["key_bytes"])) or b""
        _write_all(done_fd, b"k")
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(done_fd)
        _close_all_but_read_only_files()
        args = confine.parse_args(request["argv"])
        os.environ[confine.KEY_VARIABLE] = key.decode()
        own_folder = os.getcwd()
        environment = confine.confine_process(args)
        os.environ.clear()
        os.environ.update(environment)
        _forget_folder(own_folder)
        from IPython.core.interactiveshell import InteractiveShell

        from autograder.sandbox.kernel import launch

        InteractiveShell.clear_instance()  # the kernel makes its own shell, on the lesson's namespace
        for name, module in list(sys.modules.items()):  # the old shell's module for it (the guard would
            if getattr(module, "__dict__", None) is namespace:  # take it for a library and put it back)
                del sys.modules[name]
        launch(args.program[3:], namespace)  # after [python, -m, autograder.sandbox.kernel]
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
    try:
        namespace = run_lesson_cells(list(first.get("cells", [])))
    except Exception as error:
        traceback.print_exc()
        write_frame(reply_fd, {"ready": False, "error": str(error)[:500]})
        return
    signal.signal(signal.SIGCHLD, _reap)
    write_frame(reply_fd, {"ready": True})
    while (request := read_frame(0)) is not None:
        done_read, done_write = os.pipe()
        sys.stdout.flush()  # or the child would write what is still buffered here into its own log
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(done_read)
            _run_child(request, done_write, namespace)
        os.close(done_write)
        read_exact(done_read, 1)  # the child has taken its key off our stdin
        os.close(done_read)
        write_frame(reply_fd, {"pid": pid})
    _reap()


if __name__ == "__main__":
    main()
