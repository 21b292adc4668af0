"""Start a program inside the grading sandbox: `python -m autograder.sandbox.confine [options] -- program args`.

In order: a new session, resource limits (address space, CPU seconds, file size, no core dumps),
all Linux capabilities dropped when started as root, a scrubbed environment, Landlock (read-only
beneath the interpreter and the allowed packages, read-write only beneath the scratch folder, no
TCP except binding the kernel's own ports, no signals out) and the seccomp filter; then exec.
Any step that the machine cannot do is refused loudly unless --allow-weaker is given.
"""

import argparse
import ctypes
import json
import os
import resource
import sys

from autograder.sandbox import landlock, seccomp

_CAP_LAST = 63
KEY_VARIABLE = "AUTOGRADER_KERNEL_KEY"
KEY_FD_VARIABLE = "AUTOGRADER_KERNEL_KEY_FD"
READABLE_VARIABLE = "AUTOGRADER_READABLE"  # the readable folders, for the kernel's own audit hook


def _drop_capabilities() -> None:
    """As root: empty the bounding and inheritable sets, so the exec'd program has no capabilities."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(_CAP_LAST + 1):
        if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # PR_CAPBSET_DROP; EINVAL past the last
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if libc.capset(ctypes.byref(Header(0x20080522, 0)), ctypes.byref((Data * 2)())) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _kernel_ports(argv: list[str]) -> list[int]:
    """The TCP ports named in a Jupyter connection file passed as `-f FILE` to the program."""
    if "-f" not in argv:
        return []
    with open(argv[argv.index("-f") + 1]) as handle:
        info = json.load(handle)
    if info.get("transport", "tcp") != "tcp":
        return []
    return [int(info[name]) for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
            if info.get(name)]


def _pass_key_by_pipe(environment: dict[str, str]) -> None:
    """Move the kernel's secret from our environment into a pipe, so its /proc/self/environ never shows it."""
    key = os.environ.pop(KEY_VARIABLE, None)
    if key is None:
        return
    read_end, write_end = os.pipe()
    os.write(write_end, key.encode())
    os.close(write_end)
    os.set_inheritable(read_end, True)
    environment[KEY_FD_VARIABLE] = str(read_end)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the launcher's options; the program to run follows `--`."""
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.confine")
    parser.add_argument("--scratch", required=True, help="the only folder the program may write")
    parser.add_argument("--read", action="append", default=[], help="a folder or file it may read")
    parser.add_argument("--memory", type=int, default=0, help="address-space limit in bytes (0: none)")
    parser.add_argument("--cpu-seconds", type=int, default=0, help="CPU-time limit (0: none)")
    parser.add_argument("--file-bytes", type=int, default=0, help="largest file it may write (0: none)")
    parser.add_argument("--keep-env", action="append", default=[], help="environment variable to keep")
    parser.add_argument("--allow-weaker", action="store_true",
                        help="run even where Landlock or seccomp is unavailable")
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.program[:1] == ["--"]:
        args.program = args.program[1:]
    if not args.program:
        parser.error("no program given after --")
    return args


def main(argv: list[str] | None = None) -> None:
    """Apply every confinement to this process and exec the program."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.setsid() if os.getsid(0) != os.getpid() else None
    for limit, value in ((resource.RLIMIT_AS, args.memory), (resource.RLIMIT_FSIZE, args.file_bytes)):
        if value:
            resource.setrlimit(limit, (value, value))
    if args.cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (args.cpu_seconds, args.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    ports = _kernel_ports(args.program)
    environment = {name: os.environ[name] for name in args.keep_env if name in os.environ}
    scratch = os.path.realpath(args.scratch)
    environment.update(HOME=scratch, TMPDIR=os.path.join(scratch, ".tmp"), PYTHONNOUSERSITE="1")
    os.makedirs(environment["TMPDIR"], exist_ok=True)
    _pass_key_by_pipe(environment)
    if os.geteuid() == 0:
        _drop_capabilities()
    readable = [os.path.realpath(path) for path in args.read]
    environment[READABLE_VARIABLE] = os.pathsep.join(readable)
    try:
        landlock.restrict(readable, [scratch], ports)
    except landlock.LandlockError:
        if not args.allow_weaker:
            raise
    if not seccomp.install() and not args.allow_weaker:
        raise OSError("seccomp filter unavailable on this machine; pass --allow-weaker to run without it")
    os.chdir(scratch)
    os.execve(args.program[0], args.program, environment)


if __name__ == "__main__":
    main()
