"""Sandboxed grading kernels: how one is started, and a one-ahead pool so the next is always warm.

Each kernel gets its own empty scratch folder, a fresh secret for its guard reports and the
confinement of `confine.py`; it is used for exactly one notebook and then killed. The scratch
folder is a tmpfs of the kernel's own (private mount namespace), so the worker reaches it through
`/proc/<pid>/root` and the kernel's sockets in it through `/proc/<pid>/cwd`; where no tmpfs could
be mounted, a watchdog thread kills the kernel once the folder holds more than its quota.
"""

import contextlib
import importlib.util
import os
import secrets
import select
import shutil
import signal
import site
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import List

from autograder import notes
from autograder.sandbox import confine, zygote
from autograder.sandbox.confine import KEY_VARIABLE, release_cgroup
from autograder.sandbox.kernel import PRELOAD_VARIABLE

SYSTEM_READABLE = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys",
                   "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]
_shared_disk: list[str] = []  # kernels of this process that wrote to the shared disk (no tmpfs of their own)
_warned: list[bool] = []  # whether this process has said which hard limits it lacks
KEPT_ENVIRONMENT = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "JPY_PARENT_PID", "MPLBACKEND", "MPLCONFIGDIR",
                    PRELOAD_VARIABLE, "PYDEVD_DISABLE_FILE_VALIDATION"]
# Set for every kernel whatever the settings: its import path (the links to the preloaded packages), and no
# bytecode files, so that importing a course module the preload did not cover (helpers.xor, say) never
# tries to write a __pycache__ beside it, which the kernel may not do and the warden would note as an attempt.
KERNEL_ENVIRONMENT = ["PYTHONPATH", "PYTHONDONTWRITEBYTECODE"]


@dataclass(frozen=True)
class SandboxSettings:
    """Everything a grading kernel's confinement depends on."""

    memory_bytes: int
    cpu_seconds: int
    file_bytes: int
    preload: tuple[str, ...]
    readable: tuple[str, ...]
    environment: tuple[str, ...]
    allow_weaker: bool = False
    scratch_bytes: int = 0
    threads: int = 0


def package_folders(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Top-level package name -> the folder this process imports it from (found without importing)."""
    folders = {"autograder": str(Path(__file__).resolve().parents[1])}  # this very package, not a namesake
    for name in sorted({name.split(".")[0] for name in names} - {"autograder"}):
        module = sys.modules.get(name)
        if getattr(module, "__file__", None):
            folders[name] = os.path.dirname(os.path.realpath(module.__file__))
            continue
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.submodule_search_locations:  # a regular package
            folders[name] = os.path.dirname(os.path.realpath(spec.origin))
    return folders


def site_folder(root: Path, settings: "SandboxSettings") -> Path:
    """A folder of links to the grader's own copies of the preloaded packages, for the kernel's path.

    Kernels cannot list the folders those packages sit in (the course root, say), so they import
    them through these links instead, and so run exactly the code the grader runs.
    """
    site_dir = root / "site"
    site_dir.mkdir(exist_ok=True)
    for name, folder in package_folders(settings.preload).items():
        if not any(folder.startswith(prefix + "/") for prefix in interpreter_folders()):
            link = site_dir / name
            if not link.is_symlink():
                link.symlink_to(folder, target_is_directory=True)
    return site_dir


def interpreter_folders() -> list[str]:
    """Folders the Python interpreter and its installed packages live in."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    return sorted(os.path.realpath(folder) for folder in folders)


def readable_paths(settings: SandboxSettings) -> list[str]:
    """Every path a grading kernel may read."""
    return sorted({*SYSTEM_READABLE, *interpreter_folders(), *package_folders(settings.preload).values(),
                   *settings.readable})


def check_exposure(readable: list[str], secrets_: list[Path]) -> None:
    """Refuse to grade if a kernel could read a secret folder (source notebooks, gradebook, submissions)."""
    for secret in secrets_:
        secret = os.path.realpath(secret)
        for path in readable:
            path = os.path.realpath(path)
            if secret == path or secret.startswith(path.rstrip("/") + "/"):
                raise RuntimeError(f"the grading sandbox would expose {secret} through readable path {path}; "
                                   "move the course out of it or narrow Sandbox readable paths")


class ForkedProcess:
    """What jupyter_client needs of a kernel's Popen, for a kernel a zygote forked (not our child).

    Its exit is seen through a pidfd, which cannot name a later process that reuses the pid.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self._pidfd, self.returncode = -1, 1

    def poll(self) -> int | None:
        """None while the kernel runs, else its (unknown, so 1 or -SIGKILL) exit status."""
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self.returncode = 1
        if self.returncode is not None and self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Block until the kernel has ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            select.select([self._pidfd], [], [], 0.1 if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the kernel through its pidfd."""
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)
            if signum == signal.SIGKILL:
                self.returncode = -signal.SIGKILL

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)


class ZygoteFailed(RuntimeError):
    """A zygote could not start, or one of the lesson cells it was given failed."""


class Zygote:
    """A pre-imported kernel process (autograder/sandbox/zygote.py) and this worker's end of its channel.

    Without `base`, a base zygote started here; with one, a lesson zygote that `base` forks, which
    shares the base's imported pages and runs `cells` (the lesson's opening) before its first kernel.
    """

    START_SECONDS = 900  # imports and a lesson's opening cells (a lesson runs in under 30 s when idle)
    FORK_SECONDS = 60

    def __init__(self, settings: SandboxSettings, root: Path, cells: tuple[str, ...] = (),
                 base: "Zygote | None" = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zygote-", dir=root))
        self.log = base.log if base is not None else self.folder / "zygote.log"  # a lesson zygote writes there
        self.lock = threading.Lock()
        self.channel, theirs = socket.socketpair()
        self.process: subprocess.Popen | ForkedProcess
        try:
            try:
                if base is None:
                    self.process = self._start(settings, root, theirs)
                else:
                    self.process = ForkedProcess(base.spawn(cells, theirs))
            finally:
                theirs.close()  # the zygote's end is its own now: its exit reads here as the end of input
            if base is None:
                zygote.write_frame(self.channel.fileno(), {"cells": list(cells)})
            reply = zygote.read_frame(self.channel.fileno(), self.START_SECONDS) or {}
        except (OSError, TimeoutError, ZygoteFailed) as error:
            reply = {"error": f"the kernel zygote did not start ({error}): {self.log_tail()}"}
        if reply.get("ready") is not True:
            self.close()
            raise ZygoteFailed(reply.get("error") or f"the kernel zygote did not start: {self.log_tail()}")

    def _start(self, settings: SandboxSettings, root: Path, channel: socket.socket) -> subprocess.Popen:
        names = [*settings.environment, *KERNEL_ENVIRONMENT, PRELOAD_VARIABLE]
        source = dict(os.environ, PYTHONPATH=str(site_folder(root, settings)), PYTHONDONTWRITEBYTECODE="1",
                      **{PRELOAD_VARIABLE: ",".join(settings.preload)})
        # The environment the launcher gives a kernel, so the imports here see what a kernel's would.
        environment = {name: source[name] for name in names if name in source}
        environment.update(HOME=str(self.folder), TMPDIR=str(self.folder), PYTHONNOUSERSITE="1")
        with self.log.open("wb") as log:
            return subprocess.Popen([sys.executable, "-m", "autograder.sandbox.zygote"], env=environment,
                                    cwd=self.folder, stdin=channel, stdout=channel, stderr=log)

    def _ask(self, request: dict, after: bytes = b"", fd: int | None = None) -> dict:
        """Send a request (then `after`, or one byte carrying `fd`) and read the answer; {} or an error on failure."""
        with self.lock:
            try:
                zygote.write_frame(self.channel.fileno(), request)
                if fd is not None:
                    socket.send_fds(self.channel, [b"s"], [fd])
                zygote.write_exact(self.channel.fileno(), after)
                return zygote.read_frame(self.channel.fileno(), self.FORK_SECONDS) or {}
            except (OSError, TimeoutError) as error:
                return {"error": str(error)}

    def _failed(self, what: str, reply: dict) -> ZygoteFailed:
        self.process.kill()  # its channel may be out of step now: never use it again
        return ZygoteFailed(f"the kernel zygote failed to {what} ({reply.get('error')}): {self.log_tail()}")

    def fork(self, argv: list[str], key: str, log: Path) -> int:
        """A new confined kernel running `argv` (launcher options, `--`, kernel command); its pid.

        Raises ZygoteFailed, and ends this zygote, when it does not answer in time or at all.
        """
        reply = self._ask({"argv": argv, "log": str(log), "key_bytes": len(key)}, key.encode())
        if "pid" not in reply:
            raise self._failed("fork", reply)
        return int(reply["pid"])

    def spawn(self, cells: tuple[str, ...], channel: socket.socket) -> int:
        """Have this base zygote fork a lesson zygote that runs `cells` and serves `channel`; its pid."""
        reply = self._ask({"spawn": list(cells)}, fd=channel.fileno())
        if "pid" not in reply:
            raise self._failed("start a lesson zygote", reply)
        return int(reply["pid"])

    def alive(self) -> bool:
        """Whether the zygote still takes requests."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the zygote wrote to its stderr."""
        text = self.log.read_text(errors="replace").strip() if self.log.is_file() else ""
        return " | ".join(text.splitlines()[-lines:]) or "no output"

    def close(self) -> None:
        """End the zygote (it reaps its kernels and leaves) and delete its folder."""
        with contextlib.suppress(OSError):
            self.channel.shutdown(socket.SHUT_RDWR)
        self.channel.close()
        if hasattr(self, "process"):
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """Starts `autograder.sandbox.kernel` through the confining launcher, or forked from a zygote."""

    confine_arguments = List([])
    zygote: Zygote | None = None
    log_path: Path | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        """Exec the launcher, or have the zygote fork a kernel that confines itself the same way."""
        if self.zygote is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        pid = self.zygote.fork(kernel_cmd[3:], kw["env"][KEY_VARIABLE], self.log_path)  # after python -m confine
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = ForkedProcess(pid), pid, pid
        provisioner.cwd = kw.get("cwd")
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_post_start_kernel(self, **kw) -> None:
        """Reach the kernel's sockets in its working folder (its scratch tmpfs) through its own view of it."""
        self.ip = f"/proc/{self.provisioner.process.pid}/cwd/{self.ip}"
        await super()._async_post_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The launcher, its options, then the grading kernel on this manager's connection file."""
        kernel = [sys.executable, "-m", "autograder.sandbox.kernel", "-f", self.connection_file,
                  *(extra_arguments or [])]
        return [sys.executable, "-m", "autograder.sandbox.confine", *self.confine_arguments, "--", *kernel]


class Kernel:
    """One started sandboxed kernel: its manager, scratch folder and guard key."""

    def __init__(self, settings: SandboxSettings, root: Path, zygote: Zygote | None = None) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="kernel-", dir=root))
        self.key = secrets.token_hex(32)
        self.scratch_bytes, self.threads = settings.scratch_bytes, settings.threads
        arguments = ["--scratch", str(self.scratch), "--cpu-seconds", str(settings.cpu_seconds),
                     "--memory", str(settings.memory_bytes), "--file-bytes", str(settings.file_bytes),
                     "--scratch-bytes", str(settings.scratch_bytes), "--threads", str(settings.threads)]
        site_dir = site_folder(root, settings)
        arguments += [item for path in [*readable_paths(settings), str(site_dir)] for item in ("--read", path)]
        arguments += [item for name in [*settings.environment, *KERNEL_ENVIRONMENT] for item in ("--keep-env", name)]
        arguments += ["--allow-weaker"] if settings.allow_weaker else []
        # Unix sockets in the scratch folder, not TCP ports: no port can be taken by another worker's
        # kernel between being chosen and bound, and the kernel needs no network at all. The kernel
        # binds them relative to its working folder, so their paths stay short (108 bytes at most).
        self.manager = SandboxedKernelManager(kernel_name="python3", confine_arguments=arguments,
                                              transport="ipc", ip=".ipc")
        self.manager.connection_file = str(self.scratch / ".kernel.json")
        environment = dict(os.environ, **{KEY_VARIABLE: self.key, PRELOAD_VARIABLE: ",".join(settings.preload),
                                          "PYTHONPATH": str(site_dir), "PYTHONDONTWRITEBYTECODE": "1"})
        self.log = root / f"{self.scratch.name}.log"
        self.manager.zygote, self.manager.log_path = zygote, self.log
        with self.log.open("wb") as log:  # the kernel's own messages, not the notebook's output
            try:
                run_sync(self.manager.start_kernel)(env=environment, cwd=str(self.scratch), stdout=log,
                                                    stderr=log, extra_arguments=["--HistoryManager.enabled=False"])
            except BaseException:
                process = getattr(self.manager.provisioner, "process", None)
                if process is not None:  # launched, then failed: leave nothing running
                    process.kill()
                    process.wait()
                    release_cgroup(process.pid)
                shutil.rmtree(self.scratch, ignore_errors=True)
                raise
        self.pid = self.manager.provisioner.process.pid
        self._stop_watching = threading.Event()
        self._watchdog = threading.Thread(target=self._watch_scratch, name="scratch-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def scratch_seen_by_kernel(self) -> Path:
        """The scratch folder as the kernel sees it (its own tmpfs, where one could be mounted)."""
        return Path(f"/proc/{self.pid}/root{self.scratch}")

    def _confined(self, timeout: float = 60) -> bool:
        """Wait until the launcher has set up the scratch folder (it makes `.tmp` last); False if it died."""
        marker, deadline = self.scratch_seen_by_kernel / ".tmp", time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stop_watching.is_set():
            if self.manager.provisioner.process.poll() is not None:
                return False
            try:
                if marker.is_dir():
                    return True
            except OSError:
                return False  # the process is gone
            time.sleep(0.02)
        return False

    def has_private_scratch(self) -> bool:
        """Whether the kernel's scratch folder is a tmpfs of its own (a hard quota)."""
        return self._confined() and os.path.ismount(self.scratch_seen_by_kernel)

    def _watch_scratch(self) -> None:
        """Where the kernel has no tmpfs of its own: kill it once its scratch folder passes the quota."""
        if not self.scratch_bytes or self.has_private_scratch():
            return
        while not self._stop_watching.wait(0.2):
            if folder_bytes(self.scratch_seen_by_kernel) > self.scratch_bytes:
                notes.add(f"the kernel's scratch folder passed its {self.scratch_bytes / 2**20:g} MiB quota, "
                          "so the kernel was stopped")
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                return

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the kernel process wrote to its stderr (why it failed to start, say)."""
        text = self.log.read_text(errors="replace").strip() if self.log.is_file() else ""
        return " | ".join(text.splitlines()[-lines:]) or "no output"

    def add_files(self, folder: Path) -> None:
        """Copy a submission's other regular files (data, modules; not notebooks) into the scratch folder.

        Links and special files are never followed (a link could name the gradebook or another
        student's work; this worker is not sandboxed), nor are folders reached through links.
        """
        if not self._confined():
            return
        if not self.has_private_scratch():
            _shared_disk.append(self.scratch.name)
        self._warn_of_fallbacks()
        target_root = self.scratch_seen_by_kernel
        for directory, folders, files in os.walk(folder):  # os.walk does not descend into linked folders
            relative = Path(directory).relative_to(folder)
            folders[:] = [name for name in folders if not Path(directory, name).is_symlink()]
            for name in files:
                source = Path(directory, name)
                if source.suffix == ".ipynb":
                    continue
                try:
                    handle = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError:
                    continue  # a link (ELOOP), or unreadable
                with os.fdopen(handle, "rb") as reader:
                    if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
                        continue  # a FIFO or device would block or never end
                    target = target_root / relative / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with target.open("wb") as writer:
                        shutil.copyfileobj(reader, writer)

    def _warn_of_fallbacks(self) -> None:
        """Once per worker, say on stderr which hard limits this machine could not give its kernels."""
        group = confine.cgroup_folder(self.pid)
        missing = []
        if self.threads and not (group and group.is_dir()):
            missing.append("no thread cap (no writable pids cgroup)")
        if self.scratch_bytes and _shared_disk:
            missing.append("no scratch tmpfs of their own (a watchdog stops kernels over the quota instead)")
        if missing and not _warned:
            _warned.append(True)
            print(f"autograder: grading kernels here get {'; '.join(missing)}; see SECURITY.md", file=sys.stderr)

    def dispose(self) -> None:
        """Kill the kernel and delete its scratch folder."""
        self._stop_watching.set()
        try:
            if run_sync(self.manager.is_alive)():
                run_sync(self.manager.shutdown_kernel)(now=True)
        finally:
            run_sync(self.manager.cleanup_resources)()
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.log.unlink(missing_ok=True)
            release_cgroup(self.pid)


def used_shared_disk() -> bool:
    """Whether a kernel given files since the last call wrote on the shared disk; clears the record.

    Such a kernel's "no space left" may be another kernel's or the grader's doing, not its own.
    """
    used = bool(_shared_disk)
    _shared_disk.clear()
    return used


def folder_bytes(folder: Path) -> int:
    """Bytes of disk the files beneath `folder` take (links not followed); 0 once it is gone."""
    total, pending = 0, [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += info.st_blocks * 512
            if stat.S_ISDIR(info.st_mode):
                pending.append(entry.path)
    return total


class WarmKernels:
    """This worker's kernels: forked from a zygote (a base one, and one per lesson opening forked from it;
    see zygote.py), or, without zygotes, started by exec one ahead, so the next kernel's imports overlap
    nbgrader's scoring and feedback of this submission while only one kernel's memory is ever in use."""

    KEPT_LESSONS = 1  # lesson zygotes kept beside the base ones (a worker grades one lesson at a time)

    def __init__(self, fork: bool = True) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autograder-kernels-"))
        self.spare: tuple[SandboxSettings, Kernel] | None = None
        self.fork = fork
        # by settings, opening cells and the values of the variables kernels keep (a CPU path, say);
        # the base zygotes (no cells) first, then the lesson zygotes, least recently used first
        self.zygotes: dict[tuple, Zygote] = {}
        self.failed: set[tuple] = set()

    def take(self, settings: SandboxSettings, cells: tuple[str, ...] = ()) -> Kernel:
        """A kernel that has run `cells` (forked from their zygote), or a fresh one (spare if it fits).

        Raises ZygoteFailed when the cells fail in the zygote: the caller then runs them in the kernel.
        """
        if self.fork:
            try:
                return Kernel(settings, self.root, self.zygote(settings, cells))
            except ZygoteFailed:
                if cells:
                    raise
                # no zygote at all here (fork refused, say): kernels are started by exec instead
        if cells:
            raise ZygoteFailed("lesson cells are run ahead only in zygotes")
        spare, self.spare = self.spare, None
        if spare and spare[0] == settings:
            return spare[1]
        if spare:
            spare[1].dispose()
        return Kernel(settings, self.root)

    def zygote(self, settings: SandboxSettings, cells: tuple[str, ...] = ()) -> Zygote:
        """The zygote that has run `cells` under `settings`, started when missing or ended.

        A lesson zygote is forked from the base zygote of the same settings, which is started first.
        """
        key = (settings, cells, tuple(os.environ.get(name) for name in settings.environment))
        if key in self.failed:
            raise ZygoteFailed("these lesson cells failed in a zygote before")
        base = self.zygote(settings) if cells else None
        found = self.zygotes.pop(key, None)
        if found is not None and not found.alive():
            found.close()
            found = None
        if found is None:
            lessons = [other for other in self.zygotes if other[1]]
            # A new base (other settings or variables): every other zygote goes; a new lesson: the least
            # recently used lessons go.
            for other in lessons[:max(0, len(lessons) - self.KEPT_LESSONS + 1)] if cells else self._lessons_first():
                self.zygotes.pop(other).close()
            try:
                found = Zygote(settings, self.root, cells, base)
            except ZygoteFailed:
                self.failed.add(key)
                raise
        self.zygotes[key] = found  # now the most recently used
        return found

    def _lessons_first(self) -> list[tuple]:
        """The zygotes' keys, lesson zygotes before the base ones they were forked from."""
        return sorted(self.zygotes, key=lambda key: not key[1])

    def prepare(self, settings: SandboxSettings) -> None:
        """Start the spare kernel for the next notebook (kernels started by exec only)."""
        if self.spare is None and not self.fork:
            self.spare = (settings, Kernel(settings, self.root))

    def close(self) -> None:
        """Kill the spare kernel, end the zygotes and remove the pool's folder."""
        if self.spare:
            self.spare[1].dispose()
            self.spare = None
        for key in self._lessons_first():
            self.zygotes[key].close()
        self.zygotes = {}
        shutil.rmtree(self.root, ignore_errors=True)


def build_font_cache(folder: Path) -> Path:
    """Build matplotlib's font cache once in `folder`, so kernels (which cannot write it) start fast."""
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("fontlist-*.json")):
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=dict(os.environ,
                       MPLCONFIGDIR=str(folder)), check=False, capture_output=True, timeout=300)
    return folder
