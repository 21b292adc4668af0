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
import sys
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


def mark_test(source: str, nonce: str) -> str:
    """A hidden-test cell's source as the grader sends it."""
    return f"{TEST_MARKER}{nonce}\n{source}"


def _preload() -> None:
    for name in filter(None, os.environ.get(PRELOAD_VARIABLE, "").split(",")):
        try:
            importlib.import_module(name.strip())
        except Exception as error:  # a missing optional module must not stop the kernel
            print(f"autograder: could not pre-import {name}: {error}", file=sys.__stderr__)
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None:
        tqdm.tqdm.monitor_interval = 0  # its monitor thread would look like a student's thread


def _blank_cache(compiler):
    """A stand-in for IPython's `compile.cache` that names the test's code but stores blank lines."""
    def cache(transformed_code: str, number: int = 0, raw_code: str | None = None) -> str:
        name = compiler.get_code_name(raw_code or transformed_code, transformed_code, number)
        linecache.cache[name] = (0, None, ["\n"] * len(transformed_code.splitlines()), name)
        return name
    return cache


class GradingKernel(IPythonKernel):
    """An IPython kernel whose hidden-test cells run guarded (see the module docstring)."""

    implementation = "autograder-grading-kernel"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        _preload()
        # This module's namespace by reference: run as a script it is not in sys.modules as itself.
        warden.install(GradingKernel.do_execute.__code__, guard.Guard,
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
        module, namespace = shell.user_module, shell.user_ns
        test_module = types.ModuleType(module.__name__)
        test_module.__dict__.update(namespace)
        shell.user_module, shell.user_ns = test_module, test_module.__dict__
        shell.compile.cache = _blank_cache(shell.compile)
        mode = shell.InteractiveTB.mode
        shell.InteractiveTB.set_mode("Plain")  # a failing test's traceback, cheaply: the watcher sees every call
        cached = set(linecache.cache)
        reply: dict = {"status": "error", "ename": "KernelError", "evalue": "the test did not run"}
        sys.settrace(WATCHER)
        try:
            reply = await IPythonKernel.do_execute(self, code, silent, False, user_expressions, allow_stdin,
                                                   cell_meta=cell_meta, cell_id=cell_id)
        finally:
            sys.settrace(None)
            del shell.compile.cache
            shell.InteractiveTB.set_mode(mode)
            shell.user_module, shell.user_ns = module, namespace
            for name in set(linecache.cache) - cached:
                linecache.cache.pop(name, None)
            # Nothing that held the test's frames or values outlives it.
            shell.last_execution_result = None
            sys.last_type = sys.last_value = sys.last_traceback = None
            shell._last_traceback = None
            with contextlib.suppress(Exception):  # no report then, and the grader scores the test 0
                sys.audit(warden.TEST_END, reply.get("status"), reply.get("ename"), reply.get("evalue"), box)
        if box and isinstance(box[-1], dict):
            reply[REPORT_KEY] = box[-1]
        return reply

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


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=GradingKernel)
