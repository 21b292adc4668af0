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
import copy
import functools
import hmac
import math
import multiprocessing.util
import secrets
import time
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer, List, Unicode

from autograder import notes, outcomes
from autograder.sandbox.kernel import REPORT_KEY, mark_test
from autograder.sandbox.kernels import (
    KEPT_ENVIRONMENT,
    Kernel,
    SandboxSettings,
    WarmKernels,
    ZygoteFailed,
    build_font_cache,
    check_exposure,
    readable_paths,
)
from autograder.sandbox.warden import code_digest, sign

_pool: WarmKernels | None = None


def _kernels(fork: bool) -> WarmKernels:
    global _pool
    if _pool is not None and _pool.fork != fork:
        close_kernels()
    if _pool is None:
        _pool = WarmKernels(fork)
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


@functools.lru_cache(maxsize=16)
def lesson_opening(source: str, mtime_ns: int, size: int) -> tuple[NotebookNode, ...] | None:
    """A source notebook's code cells before its first exercise cell, read once per worker and version.

    None when one of them uses magics, `!` or `get_ipython`: shell state would not reach a kernel
    forked after the zygote ran them. The cells are shared: callers copy what they keep.
    """
    opening = []
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        if is_grade(cell) or is_solution(cell):
            break
        if "get_ipython" in cell.source or any(line.lstrip().startswith(("%", "!"))
                                               for line in cell.source.splitlines()):
            return None
        opening.append(cell)
    return tuple(opening)


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
    warm_kernels = Bool(True, help="Without fork_kernels: start each worker's next kernel as soon as its "
                        "current one is done (never reused: one kernel per notebook).").tag(config=True)
    fork_kernels = Bool(True, help="Fork each kernel from a pre-imported zygote that confines it after the "
                        "fork, instead of starting it by exec (see autograder/sandbox/zygote.py).").tag(config=True)
    run_lesson_ahead = Bool(True, help="With fork_kernels: run a lesson's opening cells (before its first "
                            "exercise) once per worker in the zygote, and fork the kernels of submissions that "
                            "left them unedited after them.").tag(config=True)
    restarts = Integer(3, help="Times a notebook's kernel is restarted from the checkpoint before a cell that "
                       "hung or killed it, so that cell alone fails; after that, later cells score 0.").tag(config=True)
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
        pool = _kernels(self.fork_kernels)
        font_cache = Path(self.font_cache) if self.font_cache else pool.root.parent / "autograder-font-cache"
        build_font_cache(font_cache)
        settings = self.settings()
        settings = SandboxSettings(**{**settings.__dict__, "readable": (*settings.readable, str(font_cache))})
        check_exposure(readable_paths(settings), secret_folders(self.config))
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        self._lesson = self._unedited_opening(nb, resources, folder) if self.fork_kernels and self.run_lesson_ahead \
            else {}
        self._notebook = Path(resources.get("unique_key") or "notebook").name
        self._pool, self._settings, self._folder = pool, settings, folder
        self._kernel = self._start_kernel()
        self._cell_limit = self.timeout
        self._deadline = math.inf  # set when the first cell starts: the kernel's start-up is not the student's
        self._stopped = ""
        self._output_bytes = 0
        self._capped = False
        self._kept_after_cap: set[tuple[int, str]] = set()
        self._key = self._kernel.key.encode()
        self._nonces: dict[int, str] = {}
        self._sources: dict[int, str] = {}
        self._attempts: list[str] = []
        self._ran: list[tuple[int, str]] = []  # (cell, how it ended) run in this kernel: replayed after a restart
        self._last_status = ""
        self._restarts_left = self.restarts
        try:
            try:
                return super().preprocess(nb, resources, km=self._kernel.manager)
            except RuntimeError as error:
                if "before replying" not in str(error):
                    raise
                raise RuntimeError(f"the grading kernel did not start: {self._kernel.log_tail()}") from error
        finally:
            if self._attempts:
                notes.add(f"{self._notebook}: blocked: tried to {'; '.join(self._attempts[:8])}")
            self.timeout = self._cell_limit
            self._kernel.dispose()
            if self.warm_kernels:
                pool.prepare(settings)

    def _start_kernel(self, restart: bool = False) -> Kernel:
        """A kernel for this submission: after the lesson's opening cells where they were left unedited.

        The first kernel falls back to running those cells itself; a restarted one cannot (the cells
        it replays start after them), so it raises ZygoteFailed instead.
        """
        try:
            kernel = self._pool.take(self._settings, tuple(cell.source for cell in self._lesson.values()))
        except ZygoteFailed as error:
            if restart:
                raise
            if self._lesson:
                notes.add(f"{self._notebook}: the lesson's opening cells were run in the kernel: {error}")
            self._lesson = {}
            kernel = self._pool.take(self._settings)
        kernel.add_files(self._folder)
        return kernel

    def _unedited_opening(self, nb: NotebookNode, resources: dict, folder: Path) -> dict[int, NotebookNode]:
        """The submission's cells that are the lesson's opening cells, unedited: index -> the source's cell.

        The opening is every code cell of the source notebook before its first exercise cell. Empty
        when any of them was edited, moved or removed, or the submission came with other files (the
        lesson's cells might read them).
        """
        info = resources.get("nbgrader") or {}
        if not info.get("assignment") or not info.get("notebook"):
            return {}
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"])) / \
            f"{info['notebook']}.ipynb"
        extra = [path for path in folder.rglob("*") if path.is_file() and path.suffix != ".ipynb"
                 and path != folder / "timestamp.txt"]  # nbgrader's own record of the hand-in time
        if not source.is_file() or extra:
            return {}
        stat = source.stat()
        opening = lesson_opening(str(source), stat.st_mtime_ns, stat.st_size)
        if opening is None:
            return {}
        code = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        if len(code) <= len(opening) or any(
                cell.source != lesson.source or is_grade(cell) or is_solution(cell)
                for (_, cell), lesson in zip(code, opening, strict=False)):
            return {}
        return {index: lesson for (index, _), lesson in zip(code, opening, strict=False)}

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        """Run one cell within the remaining time; after a stop, mark it not run.

        A cell the zygote already ran (an unedited lesson cell) gets the source notebook's outputs.
        A cell that hangs or kills its kernel fails alone: a new kernel replays the cells before it.
        """
        if cell.cell_type != "code":
            return cell, resources
        if index in self._lesson:
            cell.outputs = copy.deepcopy(self._lesson[index].outputs)
            cell.execution_count = self._lesson[index].get("execution_count")
            return cell, resources
        if self._deadline == math.inf:
            self._deadline = time.monotonic() + self.notebook_timeout
        remaining = self._deadline - time.monotonic()
        if not self._stopped and remaining <= 0:
            self._stop(f"the notebook ran past its {self.notebook_timeout} s limit")
        if self._stopped:
            cell.outputs = [error_output("NotRun", f"not run: {self._stopped}")]
            if is_test_cell(cell):
                outcomes.record(cell, outcomes.NOT_RUN)
            return cell, resources
        self.timeout = self._cell_timeout(remaining)
        source = cell.source
        if is_test_cell(cell):
            outcomes.record(cell, outcomes.NOT_RUN)  # until its signed report says otherwise
            self._nonces[index] = secrets.token_hex(16)
            self._sources[index] = source
            cell.source = mark_test(source, self._nonces[index])
        try:
            super().preprocess_cell(cell, resources, index)
            self._ran.append((index, self._last_status))
        except CellTimeoutError:
            limit = "notebook's" if self.timeout < (self._cell_limit or math.inf) else "cell"
            seconds = self.notebook_timeout if limit == "notebook's" else self._cell_limit
            run_kernel_shutdown(self.km)
            self._unverified_outputs_dropped(cell, outcomes.TIME_LIMIT)
            what = f"ran past the {limit} {seconds} s limit"
            later = self._after_failure(cell, what, notebook_limit=limit == "notebook's")
            cell.outputs.append(error_output("TimeLimitExceeded", f"this cell {what}, so its kernel was stopped; "
                                             f"{later}"))
        except DeadKernelError:
            self._unverified_outputs_dropped(cell, outcomes.KERNEL_DIED)
            what = (f"made its kernel die (memory limit {self.memory_limit / 2**30:.1f} GiB reached, or the code "
                    "ended the process)")
            later = self._after_failure(cell, what)
            cell.outputs.append(error_output("KernelDied", f"this cell {what}; {later}"))
        finally:
            cell.source = source
        return cell, resources

    def _cell_timeout(self, remaining: float) -> int:
        """Whole seconds the next cell may run: the per-cell limit within what the notebook has left."""
        return max(1, math.ceil(min(self._cell_limit or remaining, remaining)))

    def _after_failure(self, cell: NotebookNode, what: str, notebook_limit: bool = False) -> str:
        """After a cell hung or killed its kernel: restart from the checkpoint before it, or stop.

        The checkpoint is the kernel state just before the cell, rebuilt in a new kernel (forked from
        the same zygote) by replaying the cells the old one ran, in order, their outputs discarded.
        Returns what happens to the later cells, for the failed cell's error message.
        """
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or "a cell"
        # A test cell scores 0; any other cell is lost, so the tests that need what it defines fail.
        lost = "it scores 0" if is_test_cell(cell) else "what it defines is missing"
        if not notebook_limit and self._restarts_left > 0 and self._restart():
            notes.add(f"{self._notebook}: {name} {what}; {lost} and the later cells ran in a new kernel "
                      "restarted from the state before it")
            return f"{lost}; later cells ran in a new kernel restarted from the state before this cell"
        self._stop(f"{name} {what}")
        return "later cells were not run"

    def _restart(self) -> bool:
        """Replace the kernel by a new one that has replayed the cells run so far; False if that failed.

        The replay runs on a copy of the notebook (whatever it displays or updates lands there) and
        must end every cell as the first run did, or the state it rebuilt is not the one lost.
        """
        self._restarts_left -= 1
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        self._kernel.dispose()
        replay, self._ran = self._ran, []
        kept = (self.nb, copy.deepcopy(self._display_id_map), self._output_bytes, self._capped,
                set(self._kept_after_cap), list(self._attempts))
        self.nb = copy.deepcopy(self.nb)
        try:
            self._kernel = self._start_kernel(restart=True)
            self.km, self.kc, self._key = self._kernel.manager, None, self._kernel.key.encode()
            self.start_new_kernel_client()
            for index, status in replay:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.timeout = self._cell_timeout(remaining)
                cell = self.nb.cells[index]
                cell.source = self._sources.get(index, cell.source)
                if index in self._nonces:
                    self._nonces[index] = secrets.token_hex(16)
                    cell.source = mark_test(cell.source, self._nonces[index])
                cell.outputs = []
                super().preprocess_cell(cell, {}, index)
                if self._last_status != status:
                    return False
                self._ran.append((index, status))
        except (CellTimeoutError, DeadKernelError, RuntimeError):
            return False
        finally:
            (self.nb, self._display_id_map, self._output_bytes, self._capped, self._kept_after_cap,
             self._attempts) = kept
        return True

    @staticmethod
    def _unverified_outputs_dropped(cell: NotebookNode, outcome: str) -> None:
        """A test cell that never finished has no report: keep only its printed text (nothing else scores)."""
        if is_test_cell(cell):
            outcomes.record(cell, outcome)
            cell.outputs = [output for output in cell.outputs if output.get("output_type") == "stream"]

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        notes.add(f"{self._notebook}: {reason}; the remaining tests scored 0")

    def on_cell_executed(self, **kwargs) -> None:
        """nbgrader's error bookkeeping; then a hidden-test cell's outputs are rebuilt from its signed report."""
        super().on_cell_executed(**kwargs)
        cell, index, reply = kwargs["cell"], kwargs["cell_index"], kwargs["execute_reply"]
        self._last_status = str((reply.get("content") or {}).get("status"))
        report = (reply.get("metadata") or {}).get(REPORT_KEY)
        nonce = self._nonces.get(index)
        if nonce is None:
            if isinstance(report, dict) and self._signed(report):
                self._take_attempts(report)
            return
        problem = self._report_problem(report, nonce, self._sources[index])
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
        if not problem:
            self._take_attempts(report)
            if report.get("restored"):
                notes.add(f"{self._notebook}: put back before hidden tests: {', '.join(report['restored'][:5])}")
        cell.outputs = self._verified_outputs(cell.outputs, report, problem)
        self._record_outcome(cell, report, problem, self._sources[index])
        if problem:
            notes.add(f"{self._notebook}: integrity: {grade_id}: {problem}")

    def _signed(self, report: dict) -> bool:
        mac = report.get("mac")
        return isinstance(mac, str) and hmac.compare_digest(mac, sign(self._key, report))

    def _take_attempts(self, report: dict) -> None:
        for attempt in report.get("attempts") or []:
            if isinstance(attempt, str) and attempt not in self._attempts:
                self._attempts.append(attempt)

    def _report_problem(self, report, nonce: str, source: str) -> str:
        if not isinstance(report, dict):
            return "the grading kernel sent no guard report (its message handling was replaced)"
        if not self._signed(report):
            return "the guard report was forged"
        if report.get("nonce") != nonce:
            return "the guard report belongs to another cell"
        if report.get("code") != code_digest(source):
            return "the guard report is for other code than this test"
        problems = report.get("problems") or []
        return "; ".join(str(p) for p in problems)

    @staticmethod
    def _record_outcome(cell: NotebookNode, report, problem: str, source: str) -> None:
        """Keep how the test ended, as its signed report says, for the class report."""
        if problem:
            outcomes.record(cell, outcomes.UNTRUSTED, ename="IntegrityError")
        elif report.get("status") == "ok":
            outcomes.record(cell, outcomes.PASSED)
        else:
            line = report.get("line") if type(report.get("line")) is int else 0
            outcomes.record(cell, outcomes.FAILED, part=outcomes.failed_part(source, line),
                            ename=str(report.get("ename") or "Error"), mistake=str(report.get("mistake") or ""))

    @staticmethod
    def _verified_outputs(outputs: list, report, problem: str) -> list:
        """What nbgrader scores a test cell on: its printed text, then one error if the signed report
        says the test failed (or cannot be trusted). Results, displays and errors the kernel emitted are
        dropped: whatever student code managed to emit into a test cell decides nothing."""
        kept = [output for output in outputs if output.get("output_type") == "stream"]
        if problem:
            return [*kept, error_output("IntegrityError", f"this hidden test's result cannot be trusted: {problem}; "
                                        "it scores 0")]
        if report.get("status") == "ok":
            return kept
        ename, evalue = report.get("ename") or "Error", report.get("evalue") or ""
        error = error_output(ename, evalue)
        for output in outputs:  # the kernel's own traceback, where it tells the same story as the report
            if output.get("output_type") == "error" and output.get("ename") == ename and \
                    output.get("evalue") == evalue:
                error.traceback = list(output.get("traceback") or error.traceback)
        return [*kept, error]

    def process_message(self, msg: dict, cell: NotebookNode, cell_index: int) -> NotebookNode | None:
        """Count every message that changes outputs or widget state against the notebook's byte cap.

        Past the cap each such message is dropped (one note, one marker output), except that a cell
        still records one shortened error and one shortened stderr output, which decide its score.
        """
        if msg.get("msg_type") not in _CHANGES_OUTPUTS:
            return super().process_message(msg, cell, cell_index)
        cost = self._message_cost(msg)
        if self._output_bytes + cost > self.output_limit:
            self._output_bytes = self.output_limit + 1  # every later message is dropped too
            self._keep_after_cap(msg, cell, cell_index)
            return None
        self._output_bytes += cost
        return super().process_message(msg, cell, cell_index)

    def _message_cost(self, msg: dict) -> int:
        """Bytes `msg` adds to what the worker keeps: content and buffers, times every output it rewrites."""
        content = msg.get("content") or {}
        size = _MESSAGE_OVERHEAD + _size(content)
        size += sum(len(buffer) for buffer in msg.get("buffers") or ()) * 4 // 3  # stored as base64
        transient = content.get("transient") if isinstance(content, dict) else None
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if display_id and msg["msg_type"] in {"display_data", "execute_result", "update_display_data"}:
            rewritten = sum(len(indices) for indices in self._display_id_map.get(display_id, {}).values())
            size *= rewritten + (msg["msg_type"] != "update_display_data")
        return size

    def _keep_after_cap(self, msg: dict, cell: NotebookNode, cell_index: int) -> None:
        """Past the cap: the marker once per notebook, and one shortened error or stderr output per cell."""
        if not self._capped:
            self._capped = True
            notes.add(f"{self._notebook}: output past {self.output_limit} bytes was dropped")
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                             text=f"[autograder: output past {self.output_limit} bytes dropped]\n"))
        content = msg.get("content") or {}
        kind = "error" if msg["msg_type"] == "error" else (
            "stderr" if msg["msg_type"] == "stream" and content.get("name") == "stderr" else None)
        if kind is None or (cell_index, kind) in self._kept_after_cap:
            return
        self._kept_after_cap.add((cell_index, kind))
        if kind == "error":
            cell.outputs.append(error_output(str(content.get("ename", "Error"))[:_KEPT_CHARACTERS],
                                             str(content.get("evalue", ""))[:_KEPT_CHARACTERS]))
        else:
            cell.outputs.append(NotebookNode(output_type="stream", name="stderr",
                                             text=str(content.get("text", ""))[:_KEPT_CHARACTERS]))


# iopub messages that add, rewrite or clear outputs, or change widget state kept in the notebook.
_CHANGES_OUTPUTS = frozenset({"stream", "display_data", "execute_result", "error", "update_display_data",
                              "clear_output", "comm_open", "comm_msg", "comm_close"})
_MESSAGE_OVERHEAD = 128  # counted per message, so floods of empty messages reach the cap too
_KEPT_CHARACTERS = 1000  # of an error or stderr text kept past the cap


def _size(value) -> int:
    """About the bytes `value` takes as JSON, without building the JSON (a message may be huge)."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
            total += 2 * len(item)
        elif isinstance(item, list | tuple):
            pending += item
            total += len(item) + 1
        elif isinstance(item, str | bytes):
            total += len(item) + 2
        else:
            total += 8
    return total


def run_kernel_shutdown(manager) -> None:
    """Kill a kernel now (SIGKILL); it may be ignoring interrupts or stuck in C code."""
    with contextlib.suppress(Exception):  # already dead: nothing left to stop
        run_sync(manager.shutdown_kernel)(now=True)
