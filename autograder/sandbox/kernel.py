"""The grading kernel: IPython's kernel with the warden's audit hook and the guard around every test.

The grader marks hidden-test cells with a first line `# autograder-test <nonce>`. Such a cell runs
like this: the warden (autograder/sandbox/warden.py, installed before any student code) puts the
interpreter back to its pre-student state; the test runs in its own copy of the notebook's
namespace (so nothing it computes is visible to the student functions it calls), with its source
kept out of `linecache` and out of the kernel's copy of the request, under a watcher that reports
calls of student-defined comparison methods; afterwards the warden restores again and signs a
report of how the test ended. The report travels in the reply's metadata; the grader scores the
test from it alone.

Run as `python -m autograder.sandbox.kernel -f CONNECTION_FILE`, with modules to pre-import in
AUTOGRADER_PRELOAD (comma-separated) so a submission's kernel starts warm.
"""

import contextlib
import importlib
import linecache
import os
import re
import sys
import traceback
import types

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

from autograder.sandbox import guard, warden

TEST_MARKER = "# autograder-test "
REPORT_KEY = "autograder"
NONCE_KEY = "autograder_nonce"
PRELOAD_VARIABLE = "AUTOGRADER_PRELOAD"
# The decisive-call watcher: a bound method of the builtin `sys.audit`, so it has no code, closure,
# defaults or globals that student code could change; each call it sees goes to the warden.
WATCHER = types.MethodType(sys.audit, warden.TRACE_EVENT)
# A misconception id as lesson authors write them ("missing-keepdim", "dW-shape"); anything else is dropped.
MISTAKE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def mark_test(source: str, nonce: str) -> str:
    """A hidden-test cell's source as the grader sends it."""
    return f"{TEST_MARKER}{nonce}\n{source}"


def preload() -> None:
    """Import the modules named in AUTOGRADER_PRELOAD (a missing one is reported, not fatal)."""
    for name in filter(None, os.environ.get(PRELOAD_VARIABLE, "").split(",")):
        try:
            importlib.import_module(name.strip())
        except Exception as error:  # a missing optional module must not stop the kernel
            print(f"autograder: could not pre-import {name}: {error}", file=sys.__stderr__)
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None:
        tqdm.tqdm.monitor_interval = 0  # its monitor thread would look like a student's thread


def _message(error: BaseException) -> str:
    """An exception's message; one whose `__str__` fails is named by its type only."""
    try:
        return str(error)
    except Exception:
        return ""


def _mistake(error: BaseException) -> str:
    """The misconception id a failed check carries in its `mistake` attribute, or ""."""
    try:
        found = vars(error).get("mistake")
    except Exception:
        return ""
    return found if type(found) is str and MISTAKE_ID.fullmatch(found) else ""


def _failure_line(error: BaseException) -> int:
    """The line of the test's source where `error` left it (0 when unknown).

    Caught in `_run_test`, the traceback's first entry is that frame's `exec`; the next is the
    test's own module frame, whatever deeper calls the error came from.
    """
    outer = error.__traceback__
    inner = outer.tb_next if outer is not None else None
    if inner is not None:
        return inner.tb_lineno if type(inner.tb_lineno) is int else 0
    lineno = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    return lineno if type(lineno) is int else 0


def _traceback(error: BaseException) -> list[str]:
    """How a failed test is shown to the instructor: a check's one-line message, or the traceback."""
    if any(cls.__name__ in ("CheckFailed", "NotImplementedError") for cls in type(error).__mro__):
        return [f"\x1b[0;31m✗ {_message(error)}\x1b[0m"]
    try:
        return [line.rstrip("\n") for line in traceback.format_exception(error)]
    except Exception:
        return [f"{type(error).__name__}: {_message(error)}"]


class GradingKernel(IPythonKernel):
    """An IPython kernel whose hidden-test cells run guarded (see the module docstring)."""

    implementation = "autograder-grading-kernel"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        inline_imported_before_shell = "matplotlib_inline.backend_inline" in sys.modules  # forked from a zygote
        preload()
        if inline_imported_before_shell:  # its import-time hook ran with no shell: give this shell figures
            sys.modules["matplotlib_inline.backend_inline"]._enable_matplotlib_integration()
        # This module's namespace by reference: run as a script it is not in sys.modules as itself.
        warden.install(GradingKernel.do_execute.__code__, GradingKernel._run_test.__code__, guard.Guard,
                       (GradingKernel.do_execute.__globals__, guard, warden, guard.Guard, GradingKernel,
                        IPythonKernel, sys.modules["builtins"], sys, types, linecache))

    async def execute_request(self, stream, ident, parent):
        """Take the nonce off a hidden-test cell's first line; run it without recording it in history."""
        content = parent.get("content", {})
        code = content.get("code", "")
        if code.startswith(TEST_MARKER):
            first, _, rest = code.partition("\n")
            content["code"], content["store_history"] = rest, False
            if not isinstance(parent.get("metadata"), dict):
                parent["metadata"] = {}
            parent["metadata"][NONCE_KEY] = first[len(TEST_MARKER):].strip()
        await IPythonKernel.execute_request(self, stream, ident, parent)

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                         *, cell_meta=None, cell_id=None):
        """Run one cell; a hidden-test cell guarded, in its own namespace, and reported."""
        nonce = cell_meta.pop(NONCE_KEY, None) if isinstance(cell_meta, dict) else None
        box: list = []
        if nonce is None:
            try:
                sys.audit(warden.CELL_BEGIN, self.shell, self)
            except Exception as error:
                return self._refused(error)
            try:
                reply = await IPythonKernel.do_execute(self, code, silent, store_history, user_expressions,
                                                       allow_stdin, cell_meta=cell_meta, cell_id=cell_id)
            finally:
                with contextlib.suppress(Exception):  # no report then: the next test's report has it all
                    sys.audit(warden.CELL_END, box)
            if box:
                reply[REPORT_KEY] = box[-1]
            return reply
        shell = self.shell
        self.get_parent()["content"]["code"] = ""  # the kernel's copy of the request no longer holds the test
        filename = shell.compile.get_code_name(code, code, 0)
        try:
            sys.audit(warden.TEST_BEGIN, shell, self, nonce, warden.code_digest(code), filename, box)
        except Exception as error:
            return self._refused(error)
        reply, mistake, line = self._run_test(shell, code, filename)
        with contextlib.suppress(Exception):  # no report then, and the grader scores the test 0
            sys.audit(warden.TEST_END, reply.get("status"), reply.get("ename"), reply.get("evalue"), mistake, line,
                      box)
        if box and isinstance(box[-1], dict):
            reply[REPORT_KEY] = box[-1]
        return reply

    def _run_test(self, shell, code: str, filename: str) -> tuple[dict, str, int]:
        """Run a test's code in a private copy of the notebook's namespace.

        Returns the reply, and for a failure the check's misconception id and the line it failed on.

        Not through IPython's run_cell: the namespace a test runs in would then be the shell's
        `user_ns`, which student code can read while the test calls it. Here the copy is held only
        by this frame and the test's own, which the warden keeps student code from reading.
        """
        namespace = dict(shell.user_ns)
        linecache.cache[filename] = (0, None, ["\n"] * (code.count("\n") + 1), filename)  # its name, not its source
        reply = {"status": "ok", "execution_count": self.execution_count, "user_expressions": {}, "payload": []}
        mistake, line = "", 0
        try:
            compiled = compile(shell.transform_cell(code), filename, "exec")
            sys.settrace(WATCHER)
            try:
                exec(compiled, namespace)
            finally:
                sys.settrace(None)
        except BaseException as error:  # whatever the test raised (SystemExit too) is its outcome
            reply.update(status="error", ename=type(error).__name__, evalue=_message(error),
                         traceback=_traceback(error))
            with contextlib.suppress(Exception):  # where it failed only labels the failure for the report
                mistake, line = _mistake(error), _failure_line(error)
            shell._showtraceback(type(error), error, reply["traceback"])
        finally:
            linecache.cache.pop(filename, None)
            namespace.clear()
            sys.last_type = sys.last_value = sys.last_traceback = None
            shell._last_traceback = None
        return reply, mistake, line

    def _refused(self, error: Exception) -> dict:
        """The reply for a cell the warden would not start (it then carries no report)."""
        return {"status": "error", "execution_count": self.execution_count, "ename": "IntegrityError",
                "evalue": str(error), "traceback": [f"IntegrityError: {error}"], "user_expressions": {}, "payload": []}

    def finish_metadata(self, parent, metadata, reply_content):
        """Move the warden's signed report from the reply into its metadata."""
        metadata = IPythonKernel.finish_metadata(self, parent, metadata, reply_content)
        report = reply_content.pop(REPORT_KEY, None)
        if report is not None:
            metadata[REPORT_KEY] = report
        return metadata


def launch(argv: list[str] | None = None, user_ns: dict | None = None) -> None:
    """Run the grading kernel in this process until it is shut down (on `user_ns`, if given)."""
    IPKernelApp.launch_instance(argv=argv, kernel_class=GradingKernel, user_ns=user_ns)


if __name__ == "__main__":
    launch()
