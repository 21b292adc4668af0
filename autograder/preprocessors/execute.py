"""Run a submission in a sandboxed, guarded kernel with limits that fail closed.

Replaces nbgrader's Execute in the autograde chain. Differences: the kernel is confined and warm
(autograder.sandbox); hidden-test cells run guarded and count only with a valid, clean signed
report; a cell that exceeds its time limit, or the notebook's, has its kernel killed (interrupts
can be ignored, kills cannot); a dead or killed kernel leaves every later cell with an error
output, so remaining tests score 0 and the notebook is still graded; output beyond a byte cap is
dropped. Each event is also recorded as a status note for the report.
"""

import atexit
import contextlib
import hmac
import math
import multiprocessing.util
import secrets
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer, List, Unicode

from autograder import notes
from autograder.sandbox.kernel import REPORT_KEY, mark_test, sign
from autograder.sandbox.kernels import (
    KEPT_ENVIRONMENT,
    SandboxSettings,
    WarmKernels,
    build_font_cache,
    check_exposure,
    readable_paths,
)

_pool: WarmKernels | None = None


def _kernels() -> WarmKernels:
    global _pool
    if _pool is None:
        _pool = WarmKernels()
        atexit.register(_pool.close)
        # Pool workers leave through multiprocessing's exit path, which skips atexit.
        multiprocessing.util.Finalize(_pool, _pool.close, exitpriority=10)
    return _pool


def close_kernels() -> None:
    """Kill this process's spare kernel (the grader calls it after grading in-process)."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def secret_folders(config) -> list[Path]:
    """Folders a grading kernel must never read: sources, submissions, grading output, the gradebook."""
    coursedir = CourseDirectory(config=config)
    root = Path(coursedir.root)
    folders = [root / getattr(coursedir, f"{step}_directory")
               for step in ("source", "submitted", "autograded", "feedback")]
    if coursedir.db_url.startswith("sqlite:///"):
        folders.append(Path(coursedir.db_url.removeprefix("sqlite:///")))
    return folders


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, not a solution, code."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def error_output(name: str, message: str) -> NotebookNode:
    """An error output as a kernel would send it (nbgrader scores a test cell with one as 0)."""
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class SandboxedExecute(Execute):
    """nbgrader's Execute, run in the sandbox with fail-closed limits (see the module docstring)."""

    notebook_timeout = Integer(600, help="Seconds a whole notebook may run.").tag(config=True)
    memory_limit = Integer(3 * 2**30, help="Address-space limit of a grading kernel, bytes.").tag(config=True)
    output_limit = Integer(2**20, help="Bytes of output kept per notebook; the rest is dropped.").tag(config=True)
    file_limit = Integer(64 * 2**20, help="Largest file a grading kernel may write, bytes.").tag(config=True)
    scratch_limit = Integer(512 * 2**20, help="Bytes a grading kernel's scratch folder may hold in all "
                            "(a tmpfs of its own, in memory).").tag(config=True)
    thread_limit = Integer(256, help="Threads a grading kernel may run at once (a pids cgroup).").tag(config=True)
    preload = List(Unicode(), ["numpy", "torch"], help="Modules every grading kernel imports before "
                   "student code; they are also the modules the guard restores.").tag(config=True)
    readable_paths = List(Unicode(), [], help="Extra paths grading kernels may read.").tag(config=True)
    environment = List(Unicode(), [], help="Extra environment variables grading kernels keep.").tag(config=True)
    warm_kernels = Bool(True, help="Start each worker's next kernel as soon as its current one is done "
                        "(never reused: one kernel per notebook).").tag(config=True)
    allow_weaker = Bool(False, help="Grade even where Landlock or seccomp is unavailable "
                        "(documented in SECURITY.md).").tag(config=True)
    font_cache = Unicode("", help="Folder for matplotlib's shared font cache (default: beside the "
                         "kernels).").tag(config=True)

    interrupt_on_timeout = False  # a timed-out cell gets its kernel killed instead (see preprocess_cell)
    raise_on_iopub_timeout = False

    def settings(self) -> SandboxSettings:
        """The confinement for this notebook's kernel."""
        return SandboxSettings(
            memory_bytes=self.memory_limit, cpu_seconds=self.notebook_timeout + 30, file_bytes=self.file_limit,
            preload=tuple(self.preload), readable=tuple(self.readable_paths),
            environment=tuple(KEPT_ENVIRONMENT + list(self.environment)), allow_weaker=self.allow_weaker,
            scratch_bytes=self.scratch_limit, threads=self.thread_limit)

    def preprocess(self, nb: NotebookNode, resources: dict, km=None) -> tuple[NotebookNode, dict]:
        """Execute `nb` in a fresh sandboxed kernel that sees only the submission's other files."""
        pool = _kernels()
        font_cache = Path(self.font_cache) if self.font_cache else pool.root.parent / "autograder-font-cache"
        build_font_cache(font_cache)
        settings = self.settings()
        settings = SandboxSettings(**{**settings.__dict__, "readable": (*settings.readable, str(font_cache))})
        check_exposure(readable_paths(settings), secret_folders(self.config))
        kernel = pool.take(settings)
        self._cell_limit = self.timeout
        self._deadline = time.monotonic() + self.notebook_timeout
        self._stopped = ""
        self._output_bytes = 0
        self._key = kernel.key.encode()
        self._nonces: dict[int, str] = {}
        self._notebook = Path(resources.get("unique_key") or "notebook").name
        try:
            kernel.add_files(Path(resources.get("metadata", {}).get("path") or "."))
            try:
                return super().preprocess(nb, resources, km=kernel.manager)
            except RuntimeError as error:
                if "before replying" not in str(error):
                    raise
                raise RuntimeError(f"the grading kernel did not start: {kernel.log_tail()}") from error
        finally:
            self.timeout = self._cell_limit
            kernel.dispose()
            if self.warm_kernels:
                pool.prepare(settings)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        """Run one cell within the remaining time; after a stop, mark it not run."""
        if cell.cell_type != "code":
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if not self._stopped and remaining <= 0:
            self._stop(f"the notebook ran past its {self.notebook_timeout} s limit")
        if self._stopped:
            cell.outputs = [error_output("NotRun", f"not run: {self._stopped}")]
            return cell, resources
        self.timeout = max(1, math.ceil(min(self._cell_limit or remaining, remaining)))
        source = cell.source
        if is_test_cell(cell):
            self._nonces[index] = secrets.token_hex(16)
            cell.source = mark_test(source, self._nonces[index])
        try:
            return super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            limit = "notebook's" if self.timeout < (self._cell_limit or math.inf) else "cell"
            seconds = self.notebook_timeout if limit == "notebook's" else self._cell_limit
            self._stop(f"a cell ran past the {limit} {seconds} s limit and its kernel was killed")
            cell.outputs.append(error_output("TimeLimitExceeded", f"this cell ran past the {limit} {seconds} s "
                                             "limit, so its kernel was stopped; later cells were not run"))
            run_kernel_shutdown(self.km)
        except DeadKernelError:
            self._stop("the kernel died (memory limit reached, or the code ended its own process)")
            cell.outputs.append(error_output("KernelDied", "the kernel died while this cell ran (memory limit "
                                             f"{self.memory_limit / 2**30:.1f} GiB, or the code ended the process);"
                                             " later cells were not run"))
        finally:
            cell.source = source
        return cell, resources

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        notes.add(f"{self._notebook}: {reason}; the remaining tests scored 0")

    def on_cell_executed(self, **kwargs) -> None:
        """nbgrader's error bookkeeping, then the guard report check for hidden-test cells."""
        super().on_cell_executed(**kwargs)
        cell, index, reply = kwargs["cell"], kwargs["cell_index"], kwargs["execute_reply"]
        nonce = self._nonces.get(index)
        if nonce is None:
            return
        report = (reply.get("metadata") or {}).get(REPORT_KEY)
        problem = self._report_problem(report, nonce)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
        if report and not problem and report.get("restored"):
            notes.add(f"{self._notebook}: put back before hidden tests: {', '.join(report['restored'][:5])}")
        if problem:
            cell.outputs.append(error_output("IntegrityError", f"this hidden test's result cannot be trusted: "
                                             f"{problem}; it scores 0"))
            notes.add(f"{self._notebook}: integrity: {grade_id}: {problem}")

    def _report_problem(self, report, nonce: str) -> str:
        if not isinstance(report, dict):
            return "the grading kernel sent no guard report (its message handling was replaced)"
        mac = report.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, sign(self._key, report)):
            return "the guard report was forged"
        if report.get("nonce") != nonce:
            return "the guard report belongs to another cell"
        problems = report.get("problems") or []
        return "; ".join(str(p) for p in problems)

    def output(self, outs, msg, display_id, cell_index):
        """Keep output until the notebook's byte cap; past it, one note and nothing more."""
        size = len(str(msg.get("content", "")))
        self._output_bytes += size
        if self._output_bytes > self.output_limit:
            if self._output_bytes - size <= self.output_limit:
                notes.add(f"{self._notebook}: output past {self.output_limit} bytes was dropped")
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"[autograder: output past {self.output_limit} bytes dropped]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def run_kernel_shutdown(manager) -> None:
    """Kill a kernel now (SIGKILL); it may be ignoring interrupts or stuck in C code."""
    with contextlib.suppress(Exception):  # already dead: nothing left to stop
        run_sync(manager.shutdown_kernel)(now=True)
