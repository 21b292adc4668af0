"""Hostile submissions, graded in one run beside an honest one: exact scores, statuses and notes.

Each case is a student of a small three-exercise quiz (tests/autograder/hostile/quiz.py; 8
points: ex1 3, ex2 3 with a hidden test, ex3 2) whose answers attack the grader. Limits are
short (5 s per cell, 12 s per notebook) so the suite stays fast.
"""

import contextlib
import json
import os
import socket
import sys
import threading
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.grading import GRADED, grade_submissions
from autograder.report import submission_scores, write_reports
from autograder.sandbox import landlock
from tests.autograder.hostile.quiz import ANSWERS, HIDDEN_PROBE, build_quiz_course, submission

pytestmark = pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6,
                                reason="the grading sandbox needs Linux with Landlock ABI >= 6")
CONFIG = Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py"
PWNED = f"/tmp/hostile-{uuid.uuid4().hex}"
ACTIVE = "ACTIVE-PAYLOAD-5c1e"  # in every payload that would run script in the instructor's browser
SCRIPT_OUTPUTS = (
    "from IPython.display import HTML, Javascript, Markdown, SVG, display\n"
    f"display(HTML('<script>window.{ACTIVE}=1</script><img src=x onerror=\"{ACTIVE}()\">'))\n"
    f"display(Javascript('window.{ACTIVE}=1'))\n"
    f"display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{ACTIVE}()\"></svg>'))\n"
    f"display(Markdown('[click](javascript:{ACTIVE}())'))\n"
    f"display({{'application/vnd.jupyter.widget-view+json': {{'model_id': '{ACTIVE}'}}, 'text/plain': 'w'}}, raw=True)")


def wrong(grade_id: str) -> str:
    return {"ex1": "def double(x):\n    return x", "ex2": "def mean_rows(x):\n    return x.sum(axis=1)",
            "ex3": "def absolute(v):\n    return v"}[grade_id]


def answers(**changes: str) -> dict[str, str]:
    return {**ANSWERS, **changes}


@dataclass
class Case:
    """One student: what they hand in, and what grading must make of it."""

    score: float
    answers: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # substrings that must appear in the submission's notes
    write: str = "notebook"  # or: text, binary, renamed, no-notebook, delete-tests, edit-tests, extra, slow, points,
    # markup (a markdown and a raw cell with script added), or one of write_resource_case's
    output_has: tuple[str, ...] = ()  # substrings of the autograded notebook's student-cell outputs
    output_lacks: tuple[str, ...] = ()


def cases(root: Path, port: int) -> dict[str, Case]:
    db = root / "gradebook.db"
    probe_reads = [str(db), "../../../gradebook.db", str(root / "source" / "quiz" / "quiz.ipynb"),
                   str(root / "submitted" / "honest" / "quiz" / "quiz.ipynb"), "/proc/1/environ",
                   "/etc/../" + str(root / "gradebook.db")]
    return {
        "honest": Case(8, answers()),
        # Changing how checks behave
        "patch-allclose": Case(5, answers(ex1="import torch\ntorch.allclose = lambda *a, **k: True\n" + wrong("ex1")),
                               notes=("torch.allclose",)),
        "patch-assert-allclose": Case(5, answers(ex2="import numpy.testing\nnumpy.testing.assert_allclose = "
                                                 "lambda *a, **k: None\n" + wrong("ex2")),
                                      notes=("numpy.testing.assert_allclose",)),
        "patch-defaults": Case(5, answers(ex2="import numpy.testing\nnumpy.testing.assert_allclose.__defaults__ = "
                                          "(1e300, 1e300, True, '', True)\n" + wrong("ex2")),
                               notes=("assert_allclose (code or defaults)",)),
        "patch-abs": Case(6, answers(ex3="import builtins\nbuiltins.abs = lambda v: 0\n"
                                         "def absolute(v):\n    return 3 if v == -3 else v"), notes=("builtins.abs",)),
        "patch-code-object": Case(2, answers(ex1="import numpy as np\nnp.testing.assert_allclose.__code__ = "
                                                 "(lambda *a, **k: None).__code__\n" + wrong("ex1"),
                                             ex2=wrong("ex2")),
                                  notes=("swap a function's code",)),
        "input-transformer": Case(0, {"ex1": "get_ipython().input_transformers_post.append("
                                             "lambda lines: ['pass\\n'])"},
                                  notes=("transformer",)),
        "ast-transformer": Case(0, dict(ex1="import ast\nclass Blank(ast.NodeTransformer):\n"
                                               "    def visit_Module(self, node):\n"
                                               "        blank = ast.Module(body=[ast.Pass()], type_ignores=[])\n"
                                               "        return ast.fix_missing_locations(blank)\n"
                                               "get_ipython().ast_transformers.append(Blank())"),
                                notes=("transformer",)),
        "custom-exception-handler": Case(0, {
            "ex1": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + wrong("ex1"),
            "ex2": wrong("ex2"), "ex3": wrong("ex3")}, notes=("custom_exceptions",)),
        "sys-modules": Case(5, answers(ex1="import sys, types\nfake = types.ModuleType('torch')\n"
                                           "fake.allclose = lambda *a, **k: True\nfake.tensor = lambda *a, **k: 0\n"
                                           "sys.modules['torch'] = fake\ntorch = fake\n" + wrong("ex1")),
                            notes=("sys.modules['torch']", "name 'torch'")),
        "rebound-name": Case(5, answers(ex1="class Anything:\n    def __getattr__(self, name):\n"
                                            "        return lambda *a, **k: True\n"
                                            "torch = Anything()\n" + wrong("ex1")),
                             notes=("name 'torch'",)),
        "shadow-builtin": Case(6, answers(ex3="def abs(value):\n    return 0\n"
                                              "def absolute(v):\n    return 3 if v == -3 else v"),
                               notes=("own abs()",)),
        "replace-builtins": Case(6, answers(ex3="import builtins\nfake = dict(vars(builtins), abs=lambda v: 0)\n"
                                                "get_ipython().user_ns['__builtins__'] = fake\n"
                                                "def absolute(v):\n    return 3 if v == -3 else v"),
                                 notes=("__builtins__",)),
        "tracer": Case(5, answers(ex1="import sys\ndef skip_asserts(frame, event, arg):\n"
                                      "    if event == 'exception':\n        frame.f_lineno = frame.f_lineno + 1\n"
                                      "    return skip_asserts\nsys.settrace(skip_asserts)\n" + wrong("ex1")),
                     notes=("set a trace function",)),
        "metadata-points": Case(5, answers(ex1=wrong("ex1")), write="points"),
        "always-equal": Case(6, answers(ex3="class Same:\n    def __eq__(self, other):\n        return True\n"
                                            "    def __sub__(self, other):\n        return 0\n"
                                            "def absolute(v):\n    return Same()"),
                             notes=("Same.__eq__",)),
        "torch-function": Case(5, answers(ex1="import torch\nclass Cheat(torch.Tensor):\n    @classmethod\n"
                                              "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
                                              "        return True\n"
                                              "def double(x):\n    return torch.zeros(3).as_subclass(Cheat)"),
                               notes=("__torch_function__",)),
        "background-thread": Case(0, answers(ex1="import threading, time, torch\ndef keep_patching():\n"
                                                 "    while True:\n        torch.allclose = lambda *a, **k: True\n"
                                                 "        time.sleep(0.001)\n"
                                                 "threading.Thread(target=keep_patching, daemon=True).start()\n"
                                                 + wrong("ex1")),
                                  notes=("background threads",)),
        "kernel-handler": Case(0, answers(ex1=ANSWERS["ex1"] + "\nkernel = get_ipython().kernel\n"
                                              "original = kernel.shell_handlers['execute_request']\n"
                                              "async def sneaky(*args):\n    parent = args[-1]\n"
                                              "    code = parent['content']['code']\n"
                                              "    if code.startswith('# autograder-test'):\n"
                                              "        parent['content']['code'] = 'pass'\n"
                                              "    return await original(*args)\n"
                                              "kernel.shell_handlers['execute_request'] = sneaky"),
                               notes=("belongs to another cell",)),
        "forged-report": Case(0, answers(ex1=ANSWERS["ex1"] + "\nkernel = get_ipython().kernel\n"
                                             "original = kernel.shell_handlers['execute_request']\n"
                                             "fake = {'nonce': '0', 'restored': [], 'problems': [], 'mac': '0' * 64}\n"
                                             "kernel.finish_metadata = lambda parent, md, rc: "
                                             "{**md, 'autograder': fake}\n"
                                             "async def sneaky(*args):\n    parent = args[-1]\n"
                                             "    if parent['content']['code'].startswith('# autograder-test'):\n"
                                             "        parent['content']['code'] = 'pass'\n"
                                             "    return await original(*args)\n"
                                             "kernel.shell_handlers['execute_request'] = sneaky"),
                              notes=("forged",)),
        # Reading the tests, other students' work, the gradebook; writing; network; processes
        "pre-run-hook": Case(8, answers(ex1=ANSWERS["ex1"] + "\ncaptured = []\nget_ipython().events.register("
                                            "'pre_run_cell', lambda info: captured.append(info.raw_cell))",
                                        ex3=ANSWERS["ex3"] + "\nprint('CAPTURED', captured)"),
                             notes=("pre_run_cell callback",), output_has=("CAPTURED",),
                             output_lacks=(HIDDEN_PROBE, "assert_allclose")),
        "hook-with-builtin": Case(8, answers(ex1=ANSWERS["ex1"] + "\ncaptured = []\nget_ipython().events.register("
                                                 "'pre_run_cell', captured.append)",
                                             ex3=ANSWERS["ex3"] + "\nprint('CAPTURED', captured)"),
                                  notes=("pre_run_cell callback",), output_has=("CAPTURED",),
                                  output_lacks=(HIDDEN_PROBE, "assert_allclose")),
        "read-disk": Case(8, answers(ex1=ANSWERS["ex1"] + f"\nleaks = []\nfor path in {probe_reads!r}:\n"
                                         "    try:\n        leaks.append(open(path, 'rb').read(40))\n"
                                         "    except Exception as error:\n        leaks.append(type(error).__name__)\n"
                                         "import os\nfor path in (f'/proc/{os.getppid()}/environ',\n"
                                         "             f'/proc/{os.getppid()}/cwd/pyproject.toml'):\n"
                                         "    try:\n        leaks.append(open(path, 'rb').read(40))\n"
                                         "    except Exception as error:\n        leaks.append(type(error).__name__)\n"
                                         "try:\n    leaks.append(os.listdir('..'))\n"
                                         "except Exception as error:\n    leaks.append(type(error).__name__)\n"
                                         "print('LEAKS', leaks)"),
                          output_has=("LEAKS", "PermissionError"), output_lacks=("b'", "SQLite", HIDDEN_PROBE),
                          notes=("blocked: tried to read outside its folder",)),
        "write-gradebook": Case(8, answers(ex1=ANSWERS["ex1"] + f"\nimport sqlite3\ntry:\n"
                                               f"    con = sqlite3.connect({str(db)!r})\n"
                                               "    con.execute('update grade set auto_score = 0')\n"
                                               "    con.commit()\n    print('WROTE')\n"
                                               "except Exception as error:\n"
                                               "    print('BLOCKED', type(error).__name__)"),
                                output_has=("BLOCKED",), output_lacks=("WROTE",),
                                notes=("read outside its folder (" + str(db),)),
        "write-outside": Case(8, answers(ex1=ANSWERS["ex1"] + f"\nfor path in [{PWNED!r}, {str(root / 'pwned')!r}]:\n"
                                             "    try:\n        open(path, 'w').write('x')\n        print('WROTE')\n"
                                             "    except Exception as error:\n"
                                             "        print('BLOCKED', type(error).__name__)"),
                              output_has=("BLOCKED",), output_lacks=("WROTE",), notes=("write outside its folder",)),
        "network": Case(8, answers(ex1=ANSWERS["ex1"] + "\nimport socket\nfor attempt in ('tcp', 'udp'):\n    try:\n"
                                       "        if attempt == 'tcp':\n"
                                       f"            socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                                       "        else:\n"
                                       "            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                       f"            s.sendto(b'leak', ('127.0.0.1', {port}))\n"
                                       "        print('CONNECTED')\n"
                                       "    except Exception as error:\n"
                                       "        print('BLOCKED', type(error).__name__)"),
                        output_has=("BLOCKED",), output_lacks=("CONNECTED",), notes=("use the network",)),
        "processes": Case(8, answers(ex1=ANSWERS["ex1"] + "\nimport os, subprocess\nfor run in "
                                         f"(os.fork, lambda: subprocess.run(['touch', {PWNED!r}])):\n"
                                         "    try:\n        run()\n        print('SPAWNED')\n"
                                         "    except Exception as error:\n"
                                         "        print('BLOCKED', type(error).__name__)"),
                          output_has=("BLOCKED",), output_lacks=("SPAWNED",), notes=("start another process",)),
        "kill-grader": Case(8, answers(ex1=ANSWERS["ex1"] + "\nimport os, signal\n"
                                           "for target in (os.getppid(), 1, -1):\n    try:\n"
                                           "        os.kill(target, signal.SIGKILL)\n"
                                           "    except Exception as error:\n"
                                           "        print('BLOCKED', type(error).__name__)"),
                            output_has=("BLOCKED",), notes=("signal another process",)),
        # Reaching the guard, the tests' frames and source (issue #17)
        "audit-hook-emits-results": Case(0, {"ex1": "import sys\ndef emit(event, args):\n"
                                                 "    if event in ('compile', 'exec'):\n        try:\n"
                                                 "            get_ipython().displayhook(8)\n"
                                                 "        except Exception:\n            pass\n"
                                                 "sys.addaudithook(emit)\n"
                                                 "def double(x):\n    raise NotImplementedError()"},
                                         notes=("add an audit hook",)),
        "displayhook-in-answers": Case(0, {"ex1": "def double(x):\n    get_ipython().displayhook('ok')\n"
                                                  "    raise NotImplementedError()",
                                           "ex2": "def mean_rows(x):\n    get_ipython().displayhook(3)\n"
                                                  "    raise NotImplementedError()",
                                           "ex3": "def absolute(v):\n    get_ipython().displayhook(2)\n"
                                                  "    raise NotImplementedError()"}),
        "audit-hook-rebinds-checks": Case(0, {"ex1": "import sys, torch\ndef rebind(event, args):\n"
                                                     "    if event == 'exec':\n"
                                                     "        torch.allclose = lambda *a, **k: True\n"
                                                     "sys.addaudithook(rebind)\n" + wrong("ex1"),
                                              "ex2": wrong("ex2"), "ex3": wrong("ex3")},
                                          notes=("add an audit hook",)),
        "rebind-from-inside": Case(5, answers(ex2="import types\ndef mean_rows(x):\n    global np\n    real = np\n"
                                                  "    np = types.SimpleNamespace(ones=real.ones, testing="
                                                  "types.SimpleNamespace(assert_allclose=lambda *a, **k: None))\n"
                                                  "    return real.asarray(x).mean(axis=1) if real.shape(x) == (2, 3)"
                                                  " else real.zeros(len(x))"),
                                   notes=("name 'np'",)),
        "frame-oracle": Case(6, answers(ex3="import sys\ndef absolute(v):\n"
                                            "    return sys._getframe(1).f_code.co_consts[1]")),
        "stack-walk": Case(5, answers(ex1="import inspect\ndef double(x):\n"
                                          "    inspect.stack()\n    return 2 * x"),
                           notes=("read the frames of the test",)),
        "traceback-frames": Case(6, answers(ex3="def absolute(v):\n    try:\n        raise ValueError\n"
                                                "    except ValueError as error:\n"
                                                "        caller = error.__traceback__.tb_frame.f_back\n"
                                                "    return caller.f_locals.get('expected', -v)")),
        "test-source-leak": Case(8, answers(ex2="import linecache\ncaptured = []\ndef mean_rows(x):\n"
                                                "    probe = 'HIDDEN-' + 'PROBE'\n"
                                                "    captured.extend(''.join(e[2]) for e in "
                                                "list(linecache.cache.values()) if len(e) > 2 and probe in "
                                                "''.join(e[2]))\n    kernel = get_ipython().kernel\n"
                                                "    captured.append(kernel.get_parent()['content']['code'])\n"
                                                "    return x.mean(axis=1)",
                                            ex3=ANSWERS["ex3"] + "\nimport sys\nprint('CAPTURED', captured, "
                                                "get_ipython().last_execution_result, "
                                                "getattr(sys, 'last_value', None))"),
                                    output_has=("CAPTURED",), output_lacks=(HIDDEN_PROBE, "assert_allclose")),
        "guard-hunt": Case(8, answers(ex1=ANSWERS["ex1"] + "\nimport gc, ctypes\nkernel = get_ipython().kernel\n"
                                          "print('KERNEL', sorted(n for n in vars(kernel) if 'guard' in n.lower() "
                                          "or 'key' in n.lower()))\n"
                                          "for attempt in (gc.get_objects, lambda: ctypes.CDLL(None)):\n"
                                          "    try:\n        attempt()\n        print('REACHED')\n"
                                          "    except Exception as error:\n"
                                          "        print('BLOCKED', type(error).__name__)"),
                           output_has=("KERNEL []", "BLOCKED"), output_lacks=("REACHED",),
                           notes=("walk the garbage collector", "use ctypes")),
        "always-equal-untraced": Case(6, answers(ex3="import sys\nclass Same:\n    def __eq__(self, other):\n"
                                                     "        return True\n    def __sub__(self, other):\n"
                                                     "        return 0\ndef absolute(v):\n"
                                                     "    sys.settrace(None)\n    return Same()"),
                                      notes=("set a trace function",)),
        # Limits. A cell that hangs or kills its kernel costs its own points only: the kernel is restarted
        # from the state before it (8 - 3 for ex1 or ex2), unless the notebook's own limit is reached.
        "hung-exercise": Case(5, answers(ex1="def double(x):\n    while True:\n        pass"),
                              notes=("ex1-tests ran past the cell 5 s limit; it scores 0 and the later cells ran",)),
        "ignore-interrupts": Case(5, answers(ex1=ANSWERS["ex1"] + "\nimport time\nwhile True:\n    try:\n"
                                                 "        time.sleep(0.05)\n    except KeyboardInterrupt:\n"
                                                 "        pass"),
                                  notes=("cell 5 s limit",)),
        "c-level-loop": Case(5, answers(ex2="import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')"),
                             notes=("cell 5 s limit",)),
        "slow-notebook": Case(6, answers(), write="slow", notes=("12 s limit",)),
        "exit-process": Case(5, answers(ex2="import os\nos._exit(0)"), notes=("ex2 made its kernel die",)),
        "memory": Case(8, answers(ex1=ANSWERS["ex1"] + "\nimport torch\ntry:\n    big = bytearray(6 * 2**30)\n"
                                      "except MemoryError:\n    print('REFUSED bytearray')\ntry:\n"
                                      "    big = torch.empty(6 * 2**30, dtype=torch.uint8)\n"
                                      "except RuntimeError:\n    print('REFUSED torch')"),
                       output_has=("REFUSED bytearray", "REFUSED torch")),
        "output-flood": Case(8, answers(ex1=ANSWERS["ex1"] + "\nfor _ in range(300):\n    print('x' * 10000)"),
                             notes=("output past",)),
        # Broken, renamed, edited and missing notebooks
        "not-json": Case(0, write="text", notes=("not a valid notebook",)),
        "binary": Case(0, write="binary", notes=("not a valid notebook",)),
        "renamed": Case(8, answers(), write="renamed", notes=("submitted as quiz (1).ipynb",)),
        "no-notebook": Case(0, write="no-notebook", notes=("not in the submission",)),
        "deleted-tests": Case(8, answers(), write="delete-tests", notes=("deleted test cells put back",)),
        "edited-tests": Case(5, answers(ex1=wrong("ex1")), write="edit-tests",
                             notes=("edited test cells graded as originally written: ex1-tests",)),
        "extra-cells": Case(8, answers(), write="extra", notes=("2 cells added",)),
        # Output paths other than prints (the cap counts every message that changes outputs)
        "display-update-flood": Case(8, answers(ex1=ANSWERS["ex1"] + "\nfrom IPython.display import display\n"
                                                 "handle = display('x', display_id=True)\nfor _ in range(100):\n"
                                                 "    display('x', display_id=handle.display_id)\n"
                                                 "for _ in range(5):\n    handle.update('y' * 200_000)\n"
                                                 "import time\ntime.sleep(1)"),
                                     notes=("output past",)),
        "clear-output-churn": Case(8, answers(ex1=ANSWERS["ex1"] + "\nfrom IPython.display import clear_output, "
                                               "display\nfor _ in range(500):\n    clear_output(wait=True)\n"
                                               "    display({'text/plain': 'z' * 500}, raw=True)"),
                                   notes=("output past",)),
        "fail-past-the-cap": Case(5, answers(ex1="print('x' * 200_000)\n" + wrong("ex1")), notes=("output past",)),
        "result-before-failure": Case(5, answers(ex1="def double(x):\n    get_ipython().displayhook('full marks')\n"
                                                     "    return x")),
        "script-in-outputs": Case(8, answers(ex1=ANSWERS["ex1"] + f"\n{SCRIPT_OUTPUTS}"), write="markup",
                                  notes=("removed from what the instructor's browser shows",)),
        **resource_cases(),
    }


def write_submission(course: Course, student: str, case: Case) -> None:
    folder = course.folder("submitted") / student / "quiz"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    notebook = submission(course, case.answers)
    if case.write == "text":
        (folder / "quiz.ipynb").write_text("this is not a notebook")
        return
    if case.write == "binary":
        (folder / "quiz.ipynb").write_bytes(bytes(range(256)) * 8)
        return
    if case.write == "no-notebook":
        (folder / "answers.txt").write_text("I wrote my answers here instead.")
        return
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    if case.write == "delete-tests":
        notebook.cells = [cell for cell in notebook.cells if cell not in tests]
    if case.write == "edit-tests":
        tests[0].source = "pass  # I trust my code"
    if case.write == "slow":  # four added cells of 4 s each, every one under the 5 s cell limit
        position = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id")
                        == "ex3")
        notebook.cells[position:position] = [nbformat.v4.new_code_cell("import time\ntime.sleep(4)") for _ in range(4)]
    if case.write == "points":
        tests[0].metadata.nbgrader["points"] = 100
        solution = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1")
        solution.metadata.nbgrader.update(grade=True, points=50)
    if case.write == "markup":
        notebook.cells += [nbformat.v4.new_markdown_cell(f"Done <script>window.{ACTIVE}=1</script> "
                                                         f"[see](javascript:{ACTIVE}())"),
                           nbformat.v4.new_raw_cell(f"<img src=x onerror={ACTIVE}()>")]
    if case.write == "extra":
        notebook.cells += [nbformat.v4.new_code_cell("print('scratch')"), nbformat.v4.new_markdown_cell("notes")]
    if write_resource_case(course, folder, case.write, notebook):
        return
    name = "quiz (1).ipynb" if case.write == "renamed" else "quiz.ipynb"
    nbformat.write(notebook, folder / name)


class Listener:
    """A local TCP and UDP listener on one port that records whether anything reached it."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self.reached, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stop.is_set():
            for receive in (self.tcp.accept, lambda: self.udp.recvfrom(64)):
                with contextlib.suppress(TimeoutError, OSError):
                    self.reached.append(receive())

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.tcp.close()
        self.udp.close()


# Resources, links, size, escapes and malformed structure (issue #17) ------------------------------
FILL_DISK = ("\nwritten = 0\ntry:\n    for chunk in range(40):\n        with open(f'fill{chunk}', 'wb') as handle:\n"
             "            handle.write(b'x' * 8 * 2**20)\n        written += 8\n    print('ROOM', written)\n"
             "except OSError as error:\n    print('FULL', error.errno, written)\n"
             "import os\nfor chunk in range(40):\n    if os.path.exists(f'fill{chunk}'):\n"
             "        os.remove(f'fill{chunk}')")
MANY_THREADS = ("\nimport threading, time\nthreading.stack_size(64 * 2**10)\nstarted = []\ntry:\n"
                "    for _ in range(3000):\n        worker = threading.Thread(target=time.sleep, args=(0.5,))\n"
                "        worker.start()\n        started.append(worker)\n"
                "    print('STARTED', len(started))\nexcept RuntimeError:\n"
                "    print('REFUSED after', len(started) < 300)\nfor worker in started:\n    worker.join()")
LINKS = {"gradebook.db": "gradebook.db", "solution.ipynb.txt": "source/quiz/quiz.ipynb",
         "peer.txt": "submitted/honest/quiz/quiz.ipynb", "data": "source/quiz"}
READ_LINKS = ("\nfound = []\nfor path in ['gradebook.db', 'solution.ipynb.txt', 'peer.txt', 'data/quiz.ipynb']:\n"
              "    try:\n        found.append(open(path, 'rb').read(60))\n"
              "    except OSError as error:\n        found.append(type(error).__name__)\nprint('LINKS', found)")
ESCAPE_NAME = "quiz\x1b[2J\x1b[H all 35 submissions graded\x07.ipynb"


def resource_cases() -> dict[str, Case]:
    """Filling the disk, thousands of threads, links, huge cells, escape sequences, pasted and forged cells."""
    return {
        "fill-disk": Case(8, answers(ex1=ANSWERS["ex1"] + FILL_DISK), output_has=("FULL 28",),
                          output_lacks=("ROOM",)),
        "many-threads": Case(8, answers(ex1=ANSWERS["ex1"] + MANY_THREADS), output_has=("REFUSED after True",),
                             output_lacks=("STARTED",)),
        # 3000 threads' stacks meet the address-space limit: the kernel dies or the next allocation fails,
        # depending on how much of it the kernel already used; either way only ex2 is lost.
        "openmp-threads": Case(5, answers(ex2="import torch\ntorch.set_num_threads(3000)\n"
                                              "torch.ones(1000, 1000) @ torch.ones(1000, 1000)\n" + ANSWERS["ex2"])),
        "links": Case(8, answers(ex1=ANSWERS["ex1"] + READ_LINKS), write="links",
                      notes=("links and special files are not followed: data, gradebook.db, peer.txt",),
                      output_has=("LINKS", "FileNotFoundError"), output_lacks=("SQLite", "b'{", HIDDEN_PROBE)),
        "linked-notebook": Case(0, write="linked-notebook", notes=("not followed: quiz.ipynb",
                                                                   "quiz.ipynb: not in the submission")),
        "huge-cell": Case(8, answers(), write="huge-cell", notes=("cells 1 over the 1 MiB cell limit were left out",)),
        "escape-name": Case(8, answers(), write="escape-name", notes=("submitted as quiz\\x1b[2J\\x1b[H all 35",)),
        "pasted-test": Case(8, answers(), write="pasted-test", notes=("repeated cells of ex1-tests (copies)",)),
        "markdown-copy": Case(5, answers(ex1=wrong("ex1")), write="markdown-copy",
                              notes=("repeated cells of ex1-tests (copies)",)),
        "markdown-test": Case(5, answers(ex1=wrong("ex1")), write="markdown-test",
                              notes=("graded as the instructor's type: ex1-tests",)),
        "old-schema": Case(8, answers(), write="old-schema", notes=("metadata reset for: ex1-tests",)),
    }


def write_resource_case(course: Course, folder: Path, write: str, notebook: nbformat.NotebookNode) -> bool:
    """Write the submissions of `resource_cases` that are more than a notebook; True if done."""
    by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    test = by_id.get("ex1-tests")
    if write == "links":
        for name, target in LINKS.items():
            (folder / name).symlink_to(course.root / target)
    if write == "linked-notebook":
        (folder / "quiz.ipynb").symlink_to(course.folder("source") / "quiz" / "quiz.ipynb")
        return True
    if write == "huge-cell":
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell("#" * (3 * 2**20)))
    if write == "escape-name":
        nbformat.write(notebook, folder / ESCAPE_NAME)
        return True
    if write == "pasted-test":  # what Jupyter's copy and paste makes: the same cell id and grade id
        notebook.cells.insert(notebook.cells.index(test) + 1, nbformat.from_dict(dict(test)))
        (folder / "quiz.ipynb").write_text(json.dumps(notebook))  # nbformat.write would renumber the id
        return True
    if write == "markdown-copy":  # a markdown cell after the test, claiming to be it
        forged = nbformat.v4.new_markdown_cell("all tests passed")
        forged.metadata.nbgrader = dict(test.metadata.nbgrader)
        notebook.cells.insert(notebook.cells.index(test) + 1, forged)
    if write == "markdown-test":  # the test cell itself handed in as markdown
        notebook.cells[notebook.cells.index(test)] = nbformat.v4.new_markdown_cell(
            test.source, metadata=test.metadata)
    if write == "old-schema":
        test.metadata.nbgrader["schema_version"] = 1
    return False


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every case graded in one run with two workers."""
    root = tmp_path_factory.mktemp("hostile") / "course"
    course = build_quiz_course(root, CONFIG)
    listener = Listener()
    table = cases(root, listener.port)
    for student, case in table.items():
        write_submission(course, student, case)
    with Gradebook(course.coursedir.db_url) as gradebook:
        gradebook.update_or_create_student("missing-student")
    pairs = sorted((student, "quiz") for student in table)
    # The workers' kernels live under this run's own folder, so the leftover check below sees only them
    # (other tests grade at the same time on another pytest worker, with the same interpreter).
    kernels = _kernels_folder(course)
    kernels.mkdir()
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(kernels)
    try:
        outcomes = {o.student: o for o in grade_submissions(course, pairs, progress=False, workers=2)}
    finally:
        if before is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = before
    listener.close()
    yield course, table, outcomes, listener
    assert not os.path.exists(PWNED)


def _student_outputs(course: Course, student: str) -> str:
    path = course.folder("autograded") / student / "quiz" / "quiz.ipynb"
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            texts += [str(output.get("text", "")) + str(output.get("evalue", "")) for output in cell.outputs]
    return "\n".join(texts)


STUDENTS = sorted(cases(Path("/nowhere"), 1))


@pytest.mark.parametrize("student", STUDENTS)
def test_each_hostile_submission_gets_its_exact_score_status_and_notes(hostile, student):
    course, table, outcomes, _ = hostile
    case, outcome = table[student], outcomes[student]
    scores = submission_scores(course).set_index(["student", "assignment"])
    row = scores.loc[(student, "quiz")]
    assert outcome.status == GRADED, outcome
    assert (row["score"], row["max_score"], row["status"]) == (case.score, 8.0, "graded"), (outcome.notes, row)
    for expected in case.notes:
        assert any(expected in note for note in outcome.notes), (expected, outcome.notes)
        assert expected in row["notes"]
    if case.output_has or case.output_lacks:
        outputs = _student_outputs(course, student)
        for text in case.output_has:
            assert text in outputs, (text, outputs[-2000:])
        for text in case.output_lacks:
            assert text not in outputs, (text, outputs[-2000:])


def test_the_honest_submission_is_graded_without_notes(hostile):
    _, _, outcomes, _ = hostile
    assert outcomes["honest"].notes == ()


def test_a_registered_student_without_a_submission_is_reported_missing(hostile):
    course, _, _, _ = hostile
    row = submission_scores(course).set_index(["student", "assignment"]).loc[("missing-student", "quiz")]
    assert (row["score"], row["status"]) == (0.0, "missing")


def test_nothing_reached_the_network(hostile):
    _, _, _, listener = hostile
    assert listener.reached == []


def test_no_feedback_shows_a_hidden_test(hostile):
    course, _, outcomes, _ = hostile
    files = list(course.folder("feedback").rglob("*.html"))
    assert len(files) >= len(outcomes) - 4  # the four submissions with no (unlinked) notebook get none
    for path in files:
        assert HIDDEN_PROBE not in path.read_text(), path


def test_feedback_shows_points_and_the_message_only(hostile):
    course, _, _, _ = hostile
    text = (course.folder("feedback") / "patch-allclose" / "quiz" / "quiz.html").read_text()
    assert "✗ 0 / 3 points — AssertionError" in text
    assert "✓ 3 / 3 points" in text and "Traceback (most recent call last)" not in text
    assert "torch.allclose(double(t)" not in text  # the test's own source is not shown


def test_no_grading_kernel_outlives_the_run(hostile):
    course, _, _, _ = hostile
    folder = str(_kernels_folder(course)).encode()
    leftovers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _is_grading_kernel(pid, folder)]
    assert leftovers == []


def _kernels_folder(course: Course) -> Path:
    return Path(course.coursedir.root).parent / "kernels"


def _is_grading_kernel(pid: str, folder: bytes) -> bool:
    """A grading kernel of this run: its connection file is under the run's kernels folder."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"autograder.sandbox.kernel" in command and folder + b"/" in command


def test_output_stays_small_whatever_path_it_takes(hostile):
    course, _, _, _ = hostile
    for step, limit in (("autograded", 512 * 2**10), ("feedback", 2**20)):
        for path in course.folder(step).rglob("quiz.*"):
            assert path.stat().st_size < limit, (path, path.stat().st_size)


def test_nothing_the_instructor_opens_carries_an_active_payload(hostile):
    course, _, _, _ = hostile
    notebook = nbformat.read(course.folder("autograded") / "script-in-outputs" / "quiz" / "quiz.ipynb", as_version=4)
    shown = [cell.source for cell in notebook.cells if cell.cell_type != "code"]
    shown += [str(output) for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert [text for text in shown if ACTIVE in text] == []
    for path in course.folder("feedback").rglob("*.html"):
        active = _ActiveParts()
        active.feed(path.read_text())
        assert [part for part in active.parts if ACTIVE in part] == [], path


class _ActiveParts(HTMLParser):
    """Everything in an HTML page that a browser may run: scripts and attribute values (handlers, URLs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.parts += [value or "" for _, value in attrs]
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.parts.append(data)


def test_links_in_a_submission_are_never_followed_or_copied(hostile):
    course, _, _, _ = hostile
    for step in ("autograded", "feedback"):
        folder = course.folder(step) / "links" / "quiz"
        assert not any(path.is_symlink() for path in folder.rglob("*")), step
        assert sorted(path.name for path in folder.iterdir() if path.name in LINKS) == [], step
    submitted = course.folder("submitted") / "links" / "quiz"
    assert sorted(path.name for path in submitted.iterdir() if path.is_symlink()) == sorted(LINKS)  # kept as handed in


def test_the_escape_name_note_reaches_the_report_escaped(hostile):
    course, _, _, _ = hostile
    grades = write_reports(course, course.root / "reports")["grades"].read_text()
    assert "\x1b" not in grades and "\x07" not in grades
    assert "quiz\\x1b[2J" in grades
