"""The guard on a real IPython shell: what it puts back, what it reports, what it leaves alone."""

import builtins
import operator
import threading
import time

import numpy as np
import numpy.testing  # loaded before the snapshot, as in a grading kernel
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

from autograder.sandbox.guard import Guard


class Kernel:
    """Stands in for the kernel object the guard also protects."""


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_cell("import torch\nimport numpy as np")
    yield shell
    InteractiveShell.clear_instance()


def test_replaced_library_functions_and_hooks_are_put_back_and_named(shell):
    guard = Guard(shell, Kernel())
    guard.remember_modules()
    real_allclose, real_abs = torch.allclose, builtins.abs
    shell.run_cell("import torch, builtins\ntorch.allclose = lambda *a, **k: True\nbuiltins.abs = lambda v: 0\n"
                   "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])")
    changed = guard.restore()
    assert torch.allclose is real_allclose and builtins.abs is real_abs
    assert shell.input_transformers_post == []
    assert "torch.allclose" in changed and "builtins.abs" in changed


def test_a_swapped_code_object_is_put_back(shell):
    guard = Guard(shell, Kernel())
    code = np.testing.assert_allclose.__code__
    np.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__
    changed = guard.restore()
    assert np.testing.assert_allclose.__code__ is code
    assert any("assert_allclose (code or defaults)" in item for item in changed)


def test_changes_that_keep_a_namespace_the_same_size_are_put_back(shell):
    # Restore skips a namespace whose entries are all the same objects; each of these must not look so.
    guard = Guard(shell, Kernel())
    real_close, real_backward = np.testing.assert_allclose, torch.Tensor.backward
    real_defaults = torch.nn.init.normal_.__defaults__
    shell.run_cell("import numpy as np, torch\n"
                   "np.testing.assert_allclose = lambda *a, **k: None\n"  # a value swapped in place
                   "del torch.Tensor.backward\ntorch.Tensor.extra = lambda self: 1\n"  # one removed, one added
                   "torch.nn.init.normal_.__defaults__ = (5.0, 0.0, None)")
    changed = guard.restore()
    assert np.testing.assert_allclose is real_close and torch.Tensor.backward is real_backward
    assert not hasattr(torch.Tensor, "extra") and torch.nn.init.normal_.__defaults__ is real_defaults
    assert {"numpy.testing.assert_allclose", "torch.Tensor.backward", "torch.Tensor.extra (added)"} <= set(changed)
    assert any("normal_ (code or defaults)" in item for item in changed)


def test_a_patched_identity_check_does_not_hide_other_changes(shell):
    guard = Guard(shell, Kernel())
    real_allclose, real_is = torch.allclose, operator.is_
    shell.run_cell("import operator, torch\noperator.is_ = lambda a, b: True\ntorch.allclose = lambda *a, **k: True")
    changed = guard.restore()
    assert torch.allclose is real_allclose and operator.is_ is real_is
    assert {"torch.allclose", "operator.is_"} <= set(changed)


def test_a_fake_module_name_in_the_notebook_is_rebound(shell):
    guard = Guard(shell, Kernel())
    guard.remember_modules()
    shell.run_cell("torch = 'not a module'")
    changed = guard.restore()
    assert shell.user_ns["torch"] is torch
    assert "the notebook's name 'torch' for module torch" in changed


def test_library_caches_are_left_alone_and_unnamed(shell):
    import tempfile

    tempfile.tempdir = None
    guard = Guard(shell, Kernel())
    tempfile.gettempdir()  # fills tempfile.tempdir, as libraries do on first use
    assert guard.restore() == []
    assert tempfile.tempdir is not None


def test_student_threads_are_seen_and_library_threads_are_not(shell):
    guard = Guard(shell, Kernel())
    stop = threading.Event()
    library = threading.Thread(target=stop.wait, daemon=True)
    library.start()
    shell.run_cell("import threading\nfinish = threading.Event()\n"
                   "worker = threading.Thread(target=lambda: finish.wait(), name='student-thread', daemon=True)\n"
                   "worker.start()")
    assert guard.foreign_threads() == ["student-thread"]
    shell.user_ns["finish"].set()
    stop.set()
    time.sleep(0.05)
    assert guard.foreign_threads() == []


def test_calls_of_student_comparison_methods_are_recognised(shell):
    guard = Guard(shell, Kernel())
    shell.run_cell("import sys\nclass Same:\n    def __eq__(self, other):\n        global frame\n"
                   "        frame = sys._getframe()\n        return True\nvalue = Same()\nvalue == 3")
    assert guard.is_decisive(shell.user_ns["frame"])
    import sys
    from collections import UserList

    library_frames = []
    sys.settrace(lambda frame, event, arg: library_frames.append(frame) if frame.f_code.co_name == "__eq__" else None)
    try:
        _ = UserList([1]) == [1]  # a library's own comparison method
    finally:
        sys.settrace(None)
    assert library_frames and not guard.is_decisive(library_frames[0])


def test_functions_are_compared_only_when_their_defaults_may_have_been_written(shell):
    guard = Guard(shell, Kernel())
    real_defaults = torch.nn.init.normal_.__defaults__
    torch.nn.init.normal_.__defaults__ = (5.0, 0.0, None)
    assert guard.restore(defaults_set=False) == []  # the warden saw no write: not looked at
    assert torch.nn.init.normal_.__defaults__ == (5.0, 0.0, None)
    assert any("normal_ (code or defaults)" in item for item in guard.restore(defaults_set=True))
    assert torch.nn.init.normal_.__defaults__ is real_defaults
