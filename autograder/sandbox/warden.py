"""The grading kernel's root of trust: an audit hook installed before any student code runs.

Python cannot remove an audit hook, and no Python object refers to one: the hook, the guard it
owns and the key that signs guard reports live only in the closure made by `install`, whose
functions look names up in a private copy of the builtins. Student code could reach that closure
only through `gc`, `ctypes` or frames - which the hook refuses. From the moment it is installed:

- it refuses further audit hooks, `sys.settrace`/`sys.setprofile` and `sys.monitoring` tools from
  anything but the kernel's and the guard's own code, `gc`'s object walks, `sys._current_frames`,
  `ctypes`, and swapping a function's `__code__` (Python 3.11 raises no event for starting a
  thread: the guard reports student threads alive at the start or end of a test instead);
- while a hidden test runs (or the guard does), it refuses frame access (`sys._getframe`, the
  frames of tracebacks, generators and coroutines) asked for by student code, directly or through
  `inspect` or `traceback`, and the test then scores 0: no student function can read the calling
  test's values that way (library code using frames for itself is left alone);
- it records, and refuses, attempts to read or write outside the kernel's folders, to use the
  network, to signal another process or to start one, so an instructor can tell an accident from
  an attempt;
- it runs the guard at the start and end of every hidden test, but only when asked by the
  kernel's own `do_execute` frame, in order, and signs the report that says how the test ended,
  which source ran, and what was seen meanwhile.

`payload(report)` is what the HMAC-SHA256 covers; the grader recomputes it with `sign`. A failed
test's report also says where it failed (`line`, in the test's source) and which misconception
the failing check named (`mistake`, an id the lesson author gave it), for the class report.
"""

import _hashlib
import builtins
import hashlib
import os
import sys
import threading
import types

from autograder.sandbox.confine import KEY_FD_VARIABLE, READABLE_VARIABLE

TRACE_EVENT = "autograder.trace"
CELL_BEGIN, CELL_END = "autograder.cell.begin", "autograder.cell.end"
TEST_BEGIN, TEST_END = "autograder.test.begin", "autograder.test.end"
LIFECYCLE = frozenset({CELL_BEGIN, CELL_END, TEST_BEGIN, TEST_END})
# Refused once the first cell has started, whoever asks: each one reaches the hook's closure, the
# guard, or other threads' frames.
ALWAYS_REFUSED = {
    "sys.addaudithook": "add an audit hook",
    "sys.settrace": "set a trace function",
    "sys.setprofile": "set a profile function",
    "sys.monitoring.register_callback": "register a sys.monitoring callback",
    "sys.monitoring.use_tool_id": "claim a sys.monitoring tool id",
    "gc.get_objects": "walk the garbage collector's objects",
    "gc.get_referrers": "walk the garbage collector's referrers",
    "gc.get_referents": "walk the garbage collector's referents",
    "sys._current_frames": "read other threads' frames",
}
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
WRITE_EVENTS = frozenset({"os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.symlink",
                          "os.link", "os.truncate", "os.utime", "os.chflags", "os.mkfifo", "os.mknod",
                          "shutil.rmtree", "shutil.move", "shutil.copyfile", "shutil.copytree"})
PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                            "os.forkpty", "pty.spawn"})
NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                            "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"})
SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
WATCHED = frozenset({*ALWAYS_REFUSED, *LIFECYCLE, TRACE_EVENT, "object.__getattr__", "object.__setattr__",
                     "sys._getframe", "open", "sqlite3.connect", "compile", "code.__new__", "os.chdir",
                     *WRITE_EVENTS, *PROCESS_EVENTS, *NETWORK_EVENTS, *SIGNAL_EVENTS})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
MAX_ATTEMPTS = 40
# What the hook calls, bound once: `install` copies these into the hook's private namespace.
hmac_digest, getframe, get_ident = _hashlib.hmac_digest, sys._getframe, threading.get_ident
ModuleType, FunctionType, FrameType = types.ModuleType, types.FunctionType, types.FrameType


def payload(report: dict) -> bytes:
    """The bytes a report's MAC covers: its fields in a fixed order, as Python literals."""
    fields = (report.get("nonce"), report.get("code"), report.get("status"), report.get("ename"),
              report.get("evalue"), tuple(report.get("restored") or ()), tuple(report.get("problems") or ()),
              tuple(report.get("attempts") or ()), report.get("mistake"), report.get("line"))
    return repr(fields).encode()


def sign(key: bytes, report: dict) -> str:
    """The HMAC-SHA256 of a report (without its `mac`), as the grader recomputes it."""
    return _hashlib.hmac_digest(key, payload(report), "sha256").hex()


def code_digest(code: str) -> str:
    """What a report says about the test source that ran: its SHA-256."""
    return hashlib.sha256(code.encode()).hexdigest()


def normal_path(path: str, cwd: str) -> str:
    """`path` made absolute against `cwd` and normalised without touching the file system."""
    parts: list[str] = []
    for part in (path if path.startswith("/") else cwd + "/" + path).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/" + "/".join(parts)


def beneath(path: str, folders: tuple[str, ...]) -> bool:
    """Whether `path` is one of `folders` or inside one."""
    return any(path == folder or path.startswith(folder.rstrip("/") + "/") for folder in folders)


def _read_key() -> bytes:
    fd = os.environ.pop(KEY_FD_VARIABLE, None)
    if fd is None:
        return b""
    with os.fdopen(int(fd), "rb") as pipe:
        return pipe.read()


def install(trusted: types.CodeType, tracing: types.CodeType, guard_class: type, protected: tuple) -> None:
    """Install the hook, once, before any student code: `trusted` is the kernel's `do_execute` code,
    `tracing` the kernel code that switches the watcher on and off, `guard_class` makes the guard,
    and `protected` lists the modules, classes and module namespaces whose contents are put back
    before the guard runs (the guard's own code among them)."""
    private = {"__builtins__": dict(vars(builtins)), "__name__": "autograder.sandbox.warden.private"}
    for name in ("payload", "normal_path", "beneath", "_make_hook"):
        function = globals()[name]
        private[name] = types.FunctionType(function.__code__, private, name, function.__defaults__)
    private.update({name: globals()[name] for name in (
        "TRACE_EVENT", "CELL_BEGIN", "CELL_END", "TEST_BEGIN", "TEST_END", "LIFECYCLE", "ALWAYS_REFUSED",
        "FRAME_ATTRIBUTES", "WRITE_EVENTS", "PROCESS_EVENTS", "NETWORK_EVENTS", "SIGNAL_EVENTS", "WATCHED",
        "WRITE_FLAGS", "MAX_ATTEMPTS", "hmac_digest", "getframe", "get_ident", "ModuleType", "FunctionType",
        "FrameType")})
    readable = tuple(filter(None, os.environ.pop(READABLE_VARIABLE, "").split(os.pathsep)))
    hook = private["_make_hook"](_read_key(), readable, os.getcwd(), os.getpid(), trusted, tracing, guard_class,
                                 protected, os.path.dirname(os.__file__))
    sys.addaudithook(hook)


def _make_hook(key, readable, scratch, own_pid, trusted, tracing, guard_class, protected, standard_library):
    """Build the hook. Runs with the private globals of `install`: nothing here is looked up in a
    namespace student code can change."""
    library = tuple(folder for folder in readable if folder not in ("/proc", "/sys", "/etc", "/dev", "/dev/null"))
    # Standard-library modules that hand frames to their caller (`inspect.stack()`, `traceback.walk_stack`).
    frame_handing = frozenset(standard_library + "/" + name for name in ("inspect.py", "traceback.py"))
    main_thread = get_ident()
    guard_codes = (guard_class._restore.__code__,)
    tracer_codes = (trusted, tracing)
    saved = []
    for owner in protected:  # modules, classes, or a module's namespace dict
        namespace = owner if type(owner) is dict else vars(owner)
        contents = dict(namespace)
        defaults = {name: (value.__defaults__, value.__kwdefaults__) for name, value in contents.items()
                    if type(value) is FunctionType}
        label = namespace.get("__name__", "?") if type(owner) is dict else getattr(owner, "__name__", "?")
        settable = type(owner) is dict or type(owner) is ModuleType
        saved.append((owner, namespace, settable, label, contents, defaults, getattr(owner, "__bases__", None)))
    restore, resume = guard_class.restore, guard_class.resume_library_callbacks
    put_back, remember = guard_class.put_back_shadows, guard_class.remember_modules
    foreign_threads, is_decisive = guard_class.foreign_threads, guard_class.is_decisive
    decisive_names = frozenset(guard_class.DECISIVE_METHODS)
    # "defaults": a function's __defaults__ or __kwdefaults__ was set since the guard last looked (its
    # __code__ cannot be: that is refused), so the guard must compare every function's parts again.
    state = {"guard": None, "cell": False, "test": None, "busy": 0, "armed": False, "lookup": 0, "threads": [],
             "defaults": False}
    problems: list = []
    attempts: list = []

    def caller(depth):
        """The frame `depth` levels above this function (1: whoever called `caller`)."""
        state["lookup"] = get_ident()
        try:
            return getframe(depth)
        finally:
            state["lookup"] = 0

    def student_code(code):
        filename = code.co_filename
        if type(filename) is not str:
            return True
        if filename.startswith("<frozen "):
            return False
        return not beneath(filename, library)

    def note(what, problem):
        if what not in attempts and len(attempts) < MAX_ATTEMPTS:
            attempts.append(what)
        if problem and (state["test"] is not None or state["busy"]) and what not in problems:
            problems.append(what)

    def refuse(what, problem=True):
        note(what, problem)
        raise PermissionError(f"autograder: a graded notebook may not {what}")

    def put_back_protected():
        changed = []
        for owner, namespace, settable, label, contents, defaults, bases in saved:
            for name, value in contents.items():
                if namespace.get(name, saved) is not value:
                    if settable:
                        namespace[name] = value
                    else:
                        setattr(owner, name, value)
                    changed.append(f"{label}.{name}")
            for name, (args, kwargs) in defaults.items():
                function = contents[name]
                if function.__defaults__ is not args or function.__kwdefaults__ is not kwargs:
                    function.__defaults__, function.__kwdefaults__ = args, kwargs
                    changed.append(f"{label}.{name} (defaults)")
            if bases is not None and owner.__bases__ is not bases:
                owner.__bases__ = bases
                changed.append(f"{label}.__bases__")
        return changed

    def guard_restore():
        defaults_set, state["defaults"] = state["defaults"], False  # a write from now on is seen next time
        return restore(state["guard"], defaults_set)

    def run_guard(step, *args):
        state["busy"] += 1
        try:
            return step(state["guard"], *args)
        finally:
            state["busy"] -= 1

    def sealed(report):
        report["mac"] = hmac_digest(key, payload(report), "sha256").hex()
        return report

    def lifecycle(event, args):
        frame = caller(3)  # caller -> lifecycle -> hook -> the code that raised the event
        if frame is None or frame.f_code is not trusted or get_ident() != main_thread:
            refuse("raise the grader's own guard events")
        if event == CELL_END:
            state["cell"] = False
            run_guard(remember)
            args[0].append(sealed({"nonce": "", "code": "", "status": "", "ename": "", "evalue": "",
                                   "restored": [], "problems": [], "attempts": list(attempts), "mistake": "",
                                   "line": 0}))
            return
        if event == TEST_END:
            status, ename, evalue, mistake, line, box = args
            test = state["test"]
            if test is None or test[0] is not frame:
                refuse("end a test it did not start")
            state["busy"] += 1
            try:
                changed = put_back_protected() + guard_restore()
                resume(state["guard"])
                put_back(state["guard"])
                threads = state["threads"] + [name for name in foreign_threads(state["guard"])
                                              if name not in state["threads"]]
            finally:
                state["busy"] -= 1
            found = list(problems)
            if threads:
                found.append("background threads started by the submission were running: " + ", ".join(threads[:5]))
            if changed:
                found.append("the test's environment was changed while it ran: " + ", ".join(changed[:8]))
            state["test"] = None
            problems.clear()
            box.append(sealed({
                "nonce": test[1], "code": test[2], "status": status if type(status) is str else "error",
                "ename": ename if type(ename) is str else "", "evalue": evalue if type(evalue) is str else "",
                "restored": list(test[4]), "problems": found, "attempts": list(attempts),
                "mistake": mistake if type(mistake) is str else "", "line": line if type(line) is int else 0}))
            return
        if state["cell"] or state["test"] is not None:
            refuse("start a cell or test inside another")
        shell, kernel = args[0], args[1]
        if state["guard"] is None:
            state["busy"] += 1
            try:
                state["guard"] = guard_class(shell, kernel)
                state["defaults"] = False
            finally:
                state["busy"] -= 1
        state["armed"] = True
        if event == CELL_BEGIN:
            state["cell"] = True
            return
        nonce, code, filename, box = args[2], args[3], args[4], args[5]
        problems.clear()
        state["test"] = (frame, str(nonce), str(code), str(filename), [])
        state["busy"] += 1
        try:
            restored = put_back_protected() + guard_restore()
        finally:
            state["busy"] -= 1
        state["test"][4].extend(restored[:50])
        state["threads"] = run_guard(foreign_threads)
        box.append(restored)

    def path_attempt(event, args):
        path = args[0] if args else None
        if type(path) is bytes:
            path = path.decode("utf-8", "replace")
        if type(path) is not str:
            return
        where = normal_path(path, scratch)
        if where == "/dev/null" or beneath(where, (scratch,)):
            return
        writing = event in WRITE_EVENTS
        if event == "open" and len(args) > 2:
            mode, flags = args[1], args[2]
            writing = (type(mode) is str and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)) or (
                type(flags) is int and flags & WRITE_FLAGS != 0)
        shown = path if len(path) <= 120 else path[:117] + "..."
        if writing:
            refuse(f"write outside its folder ({shown})", problem=False)
        if event == "sqlite3.connect" or not beneath(where, readable):
            refuse(f"read outside its folder ({shown})", problem=False)

    def hook(event, args):
        if event == "object.__getattr__":  # by far the most frequent: every read of a `__code__`
            if len(args) < 2 or args[1] not in FRAME_ATTRIBUTES:
                return
        elif event == TRACE_EVENT:  # every Python call while a test runs
            frame = args[0] if args else None
            if (type(frame) is FrameType and frame.f_code.co_name in decisive_names and state["test"] is not None
                    and len(args) > 1 and args[1] == "call" and is_decisive(state["guard"], frame)):
                note(f"let its own {frame.f_code.co_qualname} decide a check", True)
            return
        elif event not in WATCHED:
            if event.startswith("ctypes.") and state["armed"]:
                refuse("use ctypes")
            return
        if event == "sys._getframe" and state["lookup"] == get_ident():
            return
        if event in LIFECYCLE:
            lifecycle(event, args)
            return
        if event == "sys.addaudithook":
            note(ALWAYS_REFUSED[event], True)
            raise RuntimeError("autograder: audit hooks are not available in a grading kernel")
        if event in ("sys.settrace", "sys.setprofile"):
            frame = caller(2)
            if frame is not None and get_ident() == main_thread and (
                    frame.f_code in tracer_codes or (state["busy"] and frame.f_code in guard_codes)):
                return  # the kernel switching its watcher, or the guard clearing tracing
            if state["armed"]:
                refuse(ALWAYS_REFUSED[event])
            return
        if event == "object.__setattr__":
            if len(args) > 1 and args[1] in ("__defaults__", "__kwdefaults__"):
                state["defaults"] = True
            if len(args) > 1 and args[1] == "__code__" and state["armed"]:
                frame = caller(2)
                if not (state["busy"] and frame is not None and frame.f_code in guard_codes):
                    refuse("swap a function's code")
            return
        if not state["armed"]:
            return
        if event in ALWAYS_REFUSED:
            refuse(ALWAYS_REFUSED[event])
        if event == "sys._getframe" or event == "object.__getattr__":
            if state["test"] is None and not state["busy"]:
                return
            frame = caller(2)
            while frame is not None and frame.f_code.co_filename in frame_handing:
                frame = frame.f_back  # whoever asked `inspect` or `traceback` for frames
            if get_ident() != main_thread or frame is None or student_code(frame.f_code):
                refuse("read the frames of the test that called it")
            return
        if event == "compile" or event == "code.__new__":
            filename = args[1] if len(args) > 1 else None
            frame = caller(2) if type(filename) is str and beneath(filename, library) else None
            if frame is not None and student_code(frame.f_code):
                refuse("compile code under a library's file name")
            return
        if event in PROCESS_EVENTS:
            refuse("start another process", problem=False)
        if event in NETWORK_EVENTS:
            refuse("use the network", problem=False)
        if event in SIGNAL_EVENTS:
            target = args[0] if args else None
            if type(target) is int and (target == own_pid or target == 0):
                return
            refuse("signal another process", problem=False)
        if event == "os.chdir":
            refuse("change its working folder", problem=False)
        path_attempt(event, args)

    return hook
