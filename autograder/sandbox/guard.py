"""Inside a grading kernel: snapshot the interpreter before student code runs, and before every
hidden test put back anything the student changed (builtins, library modules and classes, import
machinery, IPython's input/AST transformers, event hooks and exception handlers, tracing, signal
handlers, torch function modes); afterwards report what changed while the test itself ran.

This raises the bar a long way but cannot be absolute: code running in the same interpreter can
reach the guard itself. SECURITY.md lists the limits and the out-of-process layers that remain.
"""

import builtins
import gc
import operator
import signal
import sys
import threading
import types
import warnings
from collections.abc import Callable

_MISSING = object()
# Student-defined methods that, called while a hidden test runs, can decide its outcome.
DECISIVE_METHODS = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__hash__",
    "__float__", "__int__", "__index__", "__abs__", "__array__", "__array_function__", "__array_ufunc__",
    "__torch_function__", "__torch_dispatch__", "__instancecheck__", "__subclasscheck__",
    "__getattr__", "__getattribute__", "__contains__", "__iter__",
})
# Non-callable instance attributes of the shell that decide how errors are handled.
_CRITICAL_ATTRIBUTES = frozenset({"custom_exceptions", "CustomTB", "InteractiveTB", "SyntaxTB", "displayhook",
                                  "display_pub", "compile", "input_transformer_manager", "events"})
_SYS_HOOKS = ("excepthook", "displayhook", "breakpointhook", "unraisablehook", "stdout", "stderr", "stdin")
_SYS_LISTS = ("meta_path", "path_hooks", "path")


def _guarded(value) -> bool:
    """Functions, classes and modules are put back; plain values (caches, flags) are libraries' own."""
    return callable(value) or isinstance(value, types.ModuleType)


def _function_parts(function: types.FunctionType) -> tuple:
    return function.__code__, function.__defaults__, function.__kwdefaults__


# Bound here, not looked up in `operator` at restore time: this module's namespace is put back before
# the guard runs (warden.install's `protected`), the `operator` module's is not.
_is = operator.is_
# What a function can have swapped while keeping its identity, read without calling any Python code.
_PART_GETTERS = tuple(operator.attrgetter(name) for name in ("__code__", "__defaults__", "__kwdefaults__"))


def _same_entries(current, snapshot: dict) -> bool:
    """Whether a namespace holds the snapshot's keys and values, the same objects in the same order.

    Compared by identity at C level, so no student-defined `__eq__` or `__hash__` runs: the common
    case (nothing changed) costs microseconds, and any difference takes the full restore path.
    """
    return (len(current) == len(snapshot) and all(map(_is, current, snapshot))
            and all(map(_is, current.values(), snapshot.values())))


def _is_student_function(code: types.CodeType, module_globals: dict, user_ns: dict) -> bool:
    filename = code.co_filename
    return (module_globals is user_ns or "ipykernel_" in filename
            or (filename.startswith("<") and not filename.startswith("<frozen")))


class Guard:
    """The interpreter's state before student code, and the means to put it back."""

    DECISIVE_METHODS = DECISIVE_METHODS

    def __init__(self, shell, kernel) -> None:
        with warnings.catch_warnings():  # touching deprecated library attributes must print nothing
            warnings.simplefilter("ignore")
            self._snapshot(shell, kernel)

    def _snapshot(self, shell, kernel) -> None:
        self.shell, self.kernel, self.user_ns = shell, kernel, shell.user_ns
        self.builtins = dict(vars(builtins))
        self.modules = dict(sys.modules)
        user_module = shell.user_module
        # Each module's and class's namespace (a module's dict and a class's mapping proxy never change
        # identity, so later reads cannot be redirected) with a copy of what it holds now.
        self.module_dicts = {name: (vars(module), dict(vars(module))) for name, module in self.modules.items()
                             if isinstance(module, types.ModuleType) and module is not user_module}
        self.class_dicts = {cls: (vars(cls), dict(vars(cls))) for cls in self._classes()}
        # A function keeps its identity when its code or default arguments are swapped: record them too.
        namespaces = [snapshot for _, snapshot in (*self.module_dicts.values(), *self.class_dicts.values())]
        functions = {id(f): f for namespace in namespaces for f in namespace.values() if type(f) is types.FunctionType}
        self.functions = list(functions.values())
        self.function_parts = [list(map(getter, self.functions)) for getter in _PART_GETTERS]
        self.instance_dicts = {id(obj): (obj, dict(vars(obj))) for obj in self._instances()}
        self.lists = {id(lst): (lst, list(lst)) for lst in self._lists()}
        self.callbacks = {event: list(funcs) for event, funcs in shell.events.callbacks.items()}
        self.set_aside: list[tuple[str, Callable]] = []
        self.sys_hooks = {name: getattr(sys, name, None) for name in _SYS_HOOKS}
        self.sys_lists = {name: (getattr(sys, name), list(getattr(sys, name))) for name in _SYS_LISTS}
        self.sigint = signal.getsignal(signal.SIGINT)
        self.recursion_limit = sys.getrecursionlimit()
        self.threads = {thread.ident for thread in threading.enumerate()}
        self.module_names: dict[str, types.ModuleType] = {}  # notebook names seen bound to real modules
        self.shadows: dict[str, object] = {}
        self.user_ns_at_start = dict(shell.user_ns)  # notebook globals named like builtins, hidden during a test
        self.remember_modules()  # a kernel forked after the lesson's opening cells starts with their imports

    # The notebook's own names for modules ----------------------------------------------------
    def remember_modules(self) -> None:
        """After a student cell: note which notebook names are bound to real, snapshot modules."""
        for name, value in list(self.shell.user_ns.items()):
            if isinstance(value, types.ModuleType) and self.modules.get(value.__name__) is value:
                self.module_names.setdefault(name, value)

    def restore_module_names(self) -> list[str]:
        """Rebind notebook names that meant a module (or hold a fake one) to the real module."""
        changed, user_ns = [], self.shell.user_ns
        for name, value in list(user_ns.items()):
            real = self.modules.get(getattr(value, "__name__", None)) if isinstance(value, types.ModuleType) else None
            if real is not None and real is not value:
                self.module_names[name] = real
        for name, module in self.module_names.items():
            if user_ns.get(name, _MISSING) is not module:
                user_ns[name] = module
                changed.append(f"the notebook's name {name!r} for module {module.__name__}")
        return changed

    # What is covered -------------------------------------------------------------------------
    def _classes(self) -> set[type]:
        classes = set(type(self.shell).__mro__) | set(type(self.kernel).__mro__)
        for name, module in self.modules.items():
            if not isinstance(module, types.ModuleType):
                continue
            for value in list(vars(module).values()):
                if isinstance(value, type) and getattr(value, "__module__", None) == name:
                    classes.add(value)
        return {cls for cls in classes if cls.__flags__ & (1 << 9)}  # heap types: the ones code can modify

    def _instances(self) -> list:
        shell = self.shell
        return [shell, self.kernel, shell.input_transformer_manager, shell.events, shell.displayhook,
                shell.display_pub, shell.compile, shell.InteractiveTB]

    def _lists(self) -> list[list]:
        manager = self.shell.input_transformer_manager
        return [manager.cleanup_transforms, manager.line_transforms, manager.token_transformers,
                self.shell.input_transformers_post, self.shell.ast_transformers, gc.callbacks]

    # Putting things back ---------------------------------------------------------------------
    def restore(self, defaults_set: bool = True) -> list[str]:
        """Put back every function, class and module in the snapshot, and anything student code set
        in their place; return what had been changed, by name. Plain values such as caches and
        flags, which libraries fill on first use, are left alone. Functions' code and defaults are
        compared only if `defaults_set` (the warden sees every such write; reading them for tens of
        thousands of functions would raise as many audit events)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._restore(defaults_set)

    def _restore(self, defaults_set: bool) -> list[str]:
        changed: list[str] = []
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        changed += self._restore_dict(vars(builtins), self.builtins, "builtins", delete_added=True)
        for name, module in self.modules.items():
            if sys.modules.get(name, _MISSING) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
        for name, (namespace, snapshot) in self.module_dicts.items():
            changed += self._restore_dict(namespace, snapshot, name)
        for cls, (namespace, snapshot) in self.class_dicts.items():
            changed += self._restore_class(cls, namespace, snapshot)
        if defaults_set and not all(all(map(_is, map(getter, self.functions), parts))
                                    for getter, parts in zip(_PART_GETTERS, self.function_parts, strict=True)):
            for function, *parts in zip(self.functions, *self.function_parts, strict=True):
                if any(a is not b for a, b in zip(_function_parts(function), parts, strict=True)):
                    function.__code__, function.__defaults__, function.__kwdefaults__ = parts
                    changed.append(f"{function.__module__}.{function.__qualname__} (code or defaults)")
        for obj, snapshot in self.instance_dicts.values():
            changed += self._restore_instance(obj, snapshot)
        for lst, snapshot in self.lists.values():
            if len(lst) != len(snapshot) or any(a is not b for a, b in zip(lst, snapshot, strict=True)):
                lst[:] = snapshot
                changed.append("an IPython transformer or gc callback list")
        changed += self._restore_callbacks()
        for name, value in self.sys_hooks.items():
            if getattr(sys, name, None) is not value:
                setattr(sys, name, value)
                changed.append(f"sys.{name}")
        for name, (lst, snapshot) in self.sys_lists.items():
            if getattr(sys, name) is not lst or lst != snapshot:
                lst[:] = snapshot
                setattr(sys, name, lst)
                changed.append(f"sys.{name}")
        if signal.getsignal(signal.SIGINT) is not self.sigint:
            signal.signal(signal.SIGINT, self.sigint)
            changed.append("the SIGINT handler")
        if sys.getrecursionlimit() != self.recursion_limit:
            sys.setrecursionlimit(self.recursion_limit)
            changed.append("the recursion limit")
        changed += _clear_torch_modes()
        changed += self.restore_module_names()
        changed += self._set_aside_builtin_shadows()
        return changed

    def _set_aside_builtin_shadows(self) -> list[str]:
        """Hide notebook globals named like builtins (`abs = ...`) and a replaced `__builtins__` while
        a test runs; `put_back_shadows` returns them afterwards."""
        user_ns, changed = self.shell.user_ns, []
        if user_ns.get("__builtins__", builtins) is not builtins:
            user_ns["__builtins__"] = builtins
            changed.append("the notebook's __builtins__")
        for name in [name for name in user_ns if name in self.builtins and not name.startswith("_")]:
            if user_ns[name] is self.user_ns_at_start.get(name, _MISSING):
                continue  # IPython's own (its `open`, `exit`)
            value = user_ns.pop(name)
            if value is not self.builtins[name]:
                self.shadows[name] = value
                if callable(value):
                    changed.append(f"the notebook's own {name}()")
        return changed

    def put_back_shadows(self) -> None:
        """Return the notebook globals set aside by `restore`."""
        self.shell.user_ns.update(self.shadows)
        self.shadows.clear()

    def _restore_callbacks(self) -> list[str]:
        """Run tests with exactly the snapshot's IPython event callbacks. Ones a library added later
        (matplotlib's figure flush) are kept aside for `resume_library_callbacks`; student ones go."""
        changed = []
        for event, funcs in self.shell.events.callbacks.items():
            before = self.callbacks.get(event, [])
            for callback in funcs:
                if any(callback is known for known in before):
                    continue
                if self._defined_by_student(callback) or not isinstance(callback, types.FunctionType):
                    changed.append(f"an IPython {event} callback")
                elif (event, callback) not in self.set_aside:
                    self.set_aside.append((event, callback))
            funcs[:] = before
        return changed

    def resume_library_callbacks(self) -> None:
        """Re-register the library callbacks set aside while a test ran."""
        for event, callback in self.set_aside:
            if callback not in self.shell.events.callbacks[event]:
                self.shell.events.callbacks[event].append(callback)

    def _restore_dict(self, current: dict, snapshot: dict, owner: str, delete_added: bool = False) -> list[str]:
        if _same_entries(current, snapshot):
            return []
        changed = []
        for key, value in snapshot.items():
            now = current.get(key, _MISSING)
            if now is not value and (delete_added or _guarded(value) or self._defined_by_student(now)):
                current[key] = value
                if self._counts(value, now):
                    changed.append(f"{owner}.{key}")
        for key in [key for key in current if key not in snapshot]:
            if delete_added or self._defined_by_student(current[key]):
                del current[key]
                changed.append(f"{owner}.{key} (added)")
        return changed

    def _restore_class(self, cls: type, current: types.MappingProxyType, snapshot: dict) -> list[str]:
        if _same_entries(current, snapshot):
            return []
        changed = []
        for key, value in snapshot.items():
            now = current.get(key, _MISSING)
            if now is not value and (_guarded(value) or self._defined_by_student(now)):
                try:
                    setattr(cls, key, value)
                except (TypeError, AttributeError):
                    continue
                if self._counts(value, now):
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
        for key in [key for key in current if key not in snapshot]:
            if self._defined_by_student(current[key]):
                try:
                    delattr(cls, key)
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key} (added)")
                except (TypeError, AttributeError):
                    pass
        return changed

    def _restore_instance(self, obj, snapshot: dict) -> list[str]:
        changed = []
        current = vars(obj)
        for key, value in snapshot.items():
            if current.get(key, _MISSING) is not value and (callable(value) or key in _CRITICAL_ATTRIBUTES):
                current[key] = value
                changed.append(f"{type(obj).__name__}.{key}")
        for key in [key for key in current if key not in snapshot]:
            if callable(getattr(type(obj), key, None)) or self._defined_by_student(current[key]):
                del current[key]
                changed.append(f"{type(obj).__name__}.{key} (added)")
        return changed

    def _counts(self, old, new) -> bool:
        """Whether a change is worth naming: a library wrapping its own function on first use
        (torch._dynamo wraps torch.manual_seed) is put back but is no sign of tampering."""
        return getattr(new, "__wrapped__", None) is not old or self._defined_by_student(new)

    def _defined_by_student(self, value) -> bool:
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if isinstance(code, types.CodeType):
            return _is_student_function(code, getattr(value, "__globals__", {}), self.shell.user_ns)
        return "__main__" in (getattr(type(value), "__module__", None), getattr(value, "__module__", None))

    # Watching a test while it runs ------------------------------------------------------------
    def foreign_threads(self) -> list[str]:
        """Threads running student code (or a timer) that were started after the snapshot and are alive."""
        return [thread.name for thread in threading.enumerate()
                if thread.ident not in self.threads and thread.is_alive() and (
                    isinstance(thread, threading.Timer)
                    or self._defined_by_student(getattr(thread, "_target", None))
                    or self._defined_by_student(type(thread).run))]

    def is_decisive(self, frame) -> bool:
        """Whether a call seen while a test runs is a student-defined comparison/truth/protocol method."""
        code = frame.f_code
        return code.co_name in DECISIVE_METHODS and _is_student_function(code, frame.f_globals, self.user_ns)


def _clear_torch_modes() -> list[str]:
    """Pop torch function/dispatch modes pushed by student code (they can rewrite any torch call)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    changed = []
    c = torch._C
    while c._len_torch_function_stack() > 0:
        c._pop_torch_function_stack()
        changed.append("a torch function mode")
    while c._len_torch_dispatch_stack() > 0:
        c._pop_torch_dispatch_stack()
        changed.append("a torch dispatch mode")
    return changed
