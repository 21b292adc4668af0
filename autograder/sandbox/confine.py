"""Start a program inside the grading sandbox: `python -m autograder.sandbox.confine [options] -- program args`.

In order: a new session, resource limits (address space, CPU seconds, file size, no core dumps),
a cap on threads (a pids cgroup of its own), a private mount namespace with a size-limited tmpfs
on the scratch folder (a quota on the total written), all Linux capabilities dropped when started
as root, a scrubbed environment, Landlock (read-only beneath the interpreter and the allowed
packages, read-write only beneath the scratch folder, no TCP except binding the kernel's own
ports, no signals out) and the seccomp filter; then exec. Landlock and seccomp are refused loudly
when missing unless --allow-weaker is given; the thread cap and the scratch quota fall back (no
cap; the worker's watchdog) and say so on stderr, as SECURITY.md describes.
"""

import argparse
import contextlib
import ctypes
import json
import os
import resource
import sys
from pathlib import Path

from autograder.sandbox import landlock, seccomp

_CAP_LAST = 63
KEY_VARIABLE = "AUTOGRADER_KERNEL_KEY"
KEY_FD_VARIABLE = "AUTOGRADER_KERNEL_KEY_FD"
READABLE_VARIABLE = "AUTOGRADER_READABLE"  # the readable folders, for the kernel's own audit hook
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
# Where a pids controller may be: cgroup v1's own hierarchy, or the unified (v2) root.
PIDS_HIERARCHIES = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
CGROUP_GROUP = "autograder-kernels"
_libc = ctypes.CDLL(None, use_errno=True)


def _os_error(what: str) -> OSError:
    error = ctypes.get_errno()
    return OSError(error, f"{what}: {os.strerror(error)}")


def _pids_hierarchy() -> Path | None:
    """The mounted cgroup hierarchy with a pids controller, if any."""
    for hierarchy in PIDS_HIERARCHIES:
        controllers = hierarchy / "cgroup.controllers"  # cgroup v2
        if (hierarchy.name == "pids" and (hierarchy / "tasks").is_file()) or (
                controllers.is_file() and "pids" in controllers.read_text().split()):
            return hierarchy
    return None


def cgroup_folder(pid: int) -> Path | None:
    """The pids cgroup a kernel started with `--threads` is put in (None: no pids controller)."""
    hierarchy = _pids_hierarchy()
    return hierarchy / CGROUP_GROUP / str(pid) if hierarchy else None


def cap_threads(limit: int) -> None:
    """Put this process in a pids cgroup of its own allowing `limit` threads in all.

    Threads count in a cgroup whatever their user (RLIMIT_NPROC is per user and ignored for
    root), and the cap holds for threads libraries start in C (OpenMP) too. Raises OSError where
    no pids controller can be written (not root, no delegation).
    """
    hierarchy = _pids_hierarchy()
    if hierarchy is None:
        raise OSError("no pids cgroup controller is mounted")
    group = hierarchy / CGROUP_GROUP
    group.mkdir(exist_ok=True)
    if (hierarchy / "cgroup.subtree_control").exists():  # v2: let the children count pids
        for parent in (hierarchy, group):
            if "pids" not in (parent / "cgroup.subtree_control").read_text().split():
                (parent / "cgroup.subtree_control").write_text("+pids")
    folder = group / str(os.getpid())
    folder.mkdir(exist_ok=True)
    (folder / "pids.max").write_text(str(limit))
    (folder / "cgroup.procs").write_text(str(os.getpid()))


def release_cgroup(pid: int) -> None:
    """Remove the pids cgroup of a kernel that has ended (nothing to do if it had none)."""
    folder = cgroup_folder(pid)
    if folder is not None and folder.is_dir():
        with contextlib.suppress(OSError):  # still has a task (it ends with the kernel), or was never ours
            folder.rmdir()


def _write_id_map(path: str, inside: int) -> None:
    with open(path, "w") as handle:
        handle.write(f"{inside} {inside} 1")


def _private_mounts() -> None:
    """A mount namespace of our own whose mounts nobody else sees (and which dies with the kernel)."""
    if os.geteuid() == 0:
        if _libc.unshare(_CLONE_NEWNS) != 0:
            raise _os_error("unshare(CLONE_NEWNS)")
    else:  # unprivileged: a user namespace mapping only ourselves gives the right to mount in it
        uid, gid = os.geteuid(), os.getegid()
        if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS) != 0:
            raise _os_error("unshare(CLONE_NEWUSER|CLONE_NEWNS)")
        with open("/proc/self/setgroups", "w") as handle:
            handle.write("deny")
        _write_id_map("/proc/self/uid_map", uid)
        _write_id_map("/proc/self/gid_map", gid)
    if _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise _os_error("making mounts private")


def limit_scratch(scratch: str, size: int) -> None:
    """Mount a tmpfs of `size` bytes on the scratch folder, visible to this process tree only.

    The files already in the folder (the connection file) are carried over. Everything the kernel
    writes then counts against this quota, in memory, and vanishes with the kernel; no kernel can
    fill the disk that other kernels and the grader use. Raises OSError where mounting is refused.
    """
    carried = {entry.name: Path(entry.path).read_bytes() for entry in os.scandir(scratch)
               if entry.is_file(follow_symlinks=False)}
    _private_mounts()
    options = f"size={size},mode=0700,nr_inodes={max(1024, size // 4096)}".encode()
    if _libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        raise _os_error("mounting the scratch tmpfs")
    for name, data in carried.items():
        Path(scratch, name).write_bytes(data)


def _drop_capabilities() -> None:
    """As root: empty the bounding and inheritable sets, so the exec'd program has no capabilities."""
    libc = _libc
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
    parser.add_argument("--scratch-bytes", type=int, default=0,
                        help="total the scratch folder may hold: a private tmpfs of this size (0: none)")
    parser.add_argument("--threads", type=int, default=0, help="threads it may run in all (0: no cap)")
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
    environment = confine_process(args)
    os.execve(args.program[0], args.program, environment)


def confine_process(args: argparse.Namespace) -> dict[str, str]:
    """Apply every confinement to this (single-threaded) process; return the program's environment.

    The launcher then execs the program; a kernel forked from a zygote runs it in-process instead.
    """
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
    for wanted, apply, fallback in ((args.threads, cap_threads, "threads are not capped"),
                                    (args.scratch_bytes, lambda size: limit_scratch(scratch, size),
                                     "the scratch folder has no quota of its own (the worker watches its size)")):
        if wanted:
            try:
                apply(wanted)
            except OSError as error:
                print(f"autograder: {fallback}: {error}", file=sys.stderr)
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
    return environment


if __name__ == "__main__":
    main()
