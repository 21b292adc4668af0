"""The grading kernel: IPython's kernel plus the guard around every hidden-test cell.

The grader marks hidden-test cells with a first line `# autograder-test <nonce>`. For such a cell
the kernel puts the interpreter back to its pre-student state, runs the test without recording it
in the history, watches for student code deciding the outcome or changing the state meanwhile,
restores again, forgets the test's source, and signs its report (HMAC with a key received through
a pipe) in the reply's metadata. The grader scores a test cell 0 unless a valid report says clean.

Run as `python -m autograder.sandbox.kernel -f CONNECTION_FILE`, with modules to pre-import in
AUTOGRADER_PRELOAD (comma-separated) so a submission's kernel starts warm.
"""

import hashlib
import hmac
import importlib
import json
import linecache
import os
import sys

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

from autograder.sandbox.confine import KEY_FD_VARIABLE
from autograder.sandbox.guard import Guard

TEST_MARKER = "# autograder-test "
REPORT_KEY = "autograder"
PRELOAD_VARIABLE = "AUTOGRADER_PRELOAD"


def sign(key: bytes, report: dict) -> str:
    """The HMAC of a report (without its `mac` field), as the grader recomputes it."""
    payload = json.dumps({k: v for k, v in report.items() if k != "mac"}, sort_keys=True).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def mark_test(source: str, nonce: str) -> str:
    """A hidden-test cell's source as the grader sends it."""
    return f"{TEST_MARKER}{nonce}\n{source}"


def _read_key() -> bytes:
    fd = os.environ.pop(KEY_FD_VARIABLE, None)
    if fd is None:
        return b""
    with os.fdopen(int(fd), "rb") as pipe:
        return pipe.read()


def _preload() -> None:
    for name in filter(None, os.environ.get(PRELOAD_VARIABLE, "").split(",")):
        try:
            importlib.import_module(name.strip())
        except Exception as error:  # a missing optional module must not stop the kernel
            print(f"autograder: could not pre-import {name}: {error}", file=sys.__stderr__)
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None:
        tqdm.tqdm.monitor_interval = 0  # its monitor thread would look like a student's thread


class GradingKernel(IPythonKernel):
    """An IPython kernel that guards hidden-test cells (see the module docstring)."""

    implementation = "autograder-grading-kernel"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.__key = _read_key()
        _preload()
        self.__guard: Guard | None = None  # taken at the first cell, once the kernel has settled
        self.__report: dict | None = None
        self.__nonce: str | None = None

    async def execute_request(self, stream, ident, parent):
        """Handle an execute request; hidden-test cells run guarded."""
        content = parent.get("content", {})
        code = content.get("code", "")
        self.__report, self.__nonce = None, None
        if self.__guard is None:
            self.__guard = Guard(self.shell, self)
        if code.startswith(TEST_MARKER):
            first, _, rest = code.partition("\n")
            self.__nonce = first[len(TEST_MARKER):].strip()
            self.__restored = self.__guard.restore()
            content["code"], content["store_history"] = rest, False
        await IPythonKernel.execute_request(self, stream, ident, parent)

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                         *, cell_meta=None, cell_id=None):
        """Run one cell; a hidden-test cell under watch."""
        if self.__nonce is None:
            try:
                return await IPythonKernel.do_execute(self, code, silent, store_history, user_expressions,
                                                      allow_stdin, cell_meta=cell_meta, cell_id=cell_id)
            finally:
                self.__guard.remember_modules()
        guard, decisive = self.__guard, []
        threads = guard.foreign_threads()
        cached = set(linecache.cache)
        sys.settrace(guard.decisive_call_watcher(decisive))  # Python calls only: cheaper than a profiler
        try:
            reply = await IPythonKernel.do_execute(self, code, silent, False, user_expressions, allow_stdin,
                                                   cell_meta=cell_meta, cell_id=cell_id)
        finally:
            sys.settrace(None)
            changed_during = guard.restore()
            guard.resume_library_callbacks()
            guard.put_back_shadows()
            for name in set(linecache.cache) - cached:
                linecache.cache.pop(name, None)
        threads += [name for name in guard.foreign_threads() if name not in threads]
        problems = []
        if threads:
            problems.append(f"background threads started by the submission were running: {', '.join(threads)}")
        if decisive:
            problems.append(f"the result depended on student-defined {', '.join(sorted(set(decisive)))}")
        if changed_during:
            problems.append(f"the test's environment was changed while it ran: {', '.join(changed_during[:8])}")
        self.__report = {"nonce": self.__nonce, "restored": self.__restored[:50], "problems": problems}
        self.__report["mac"] = sign(self.__key, self.__report)
        return reply

    def finish_metadata(self, parent, metadata, reply_content):
        """Attach the signed guard report to a hidden-test cell's reply."""
        metadata = IPythonKernel.finish_metadata(self, parent, metadata, reply_content)
        if self.__report is not None:
            metadata[REPORT_KEY] = self.__report
        return metadata


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=GradingKernel)
