"""Every solution notebook reproduces its stored outputs on the AVX2 and the baseline CPU paths too.

Hosts of the same kind differ in CPU (AVX-512 on some), and torch, MKL and oneDNN pick their
kernels by CPU; `autograder.course.CPU_PATHS` forces the AVX2 or the baseline path on any x86-64
machine, so outputs that hold on every path hold on every machine. The native path is the plain
nbval run of `solutions/` in the same pytest session. One class per path: pytest-xdist
(`--dist loadscope`) runs the two paths on different workers.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import CPU_PATHS

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))
CAPABILITY = {"avx2": "AVX2", "baseline": "DEFAULT"}


# Taken at collection, before any grading test changes this process's environment (tests/conftest.py).
STARTING_ENVIRONMENT = dict(os.environ)


def path_environment(path: str) -> dict[str, str]:
    """The session's starting environment with one torch thread and the given CPU path forced."""
    return dict(STARTING_ENVIRONMENT, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", **CPU_PATHS[path])


def _cpu_has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.is_file() and " avx2" in cpuinfo.read_text()


class _OnCpuPath:
    path = ""

    def test_the_variables_select_the_cpu_path(self):
        if self.path == "avx2" and not _cpu_has_avx2():
            pytest.skip("this CPU has no AVX2")
        probe = "import torch; print(torch.backends.cpu.get_cpu_capability())"
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                env=path_environment(self.path), check=True)
        assert result.stdout.strip() == CAPABILITY[self.path]

    @pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.parent.name)
    def test_solution_notebook_reproduces_its_outputs(self, notebook):
        """nbval, as CI runs it on the native path, in a separate process with the CPU path forced."""
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "--nbval-lax",
                                 str(notebook.relative_to(REPO))], cwd=REPO, capture_output=True, text=True,
                                env=path_environment(self.path), timeout=900)
        assert result.returncode == 0, f"{notebook.name} on the {self.path} path:\n{result.stdout[-6000:]}"


class TestAvx2Path(_OnCpuPath):
    path = "avx2"


class TestBaselinePath(_OnCpuPath):
    path = "baseline"
