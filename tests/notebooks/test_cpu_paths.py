"""Every solution notebook reproduces its stored outputs on the AVX2 and the baseline CPU paths too.

Hosts of the same kind differ in CPU (AVX-512 on some), and torch, MKL and oneDNN pick their
kernels by CPU. These variables force the AVX2 path and the baseline (SSE4.2) path on any x86-64
machine, so a result that holds on every path holds on every machine. The native path is the
plain nbval run of `solutions/` in the same pytest session.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CPU_PATHS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "baseline": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
CAPABILITY = {"avx2": "AVX2", "baseline": "DEFAULT"}
NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))


def path_environment(path: str) -> dict[str, str]:
    """This process's environment with one torch thread and the given CPU path forced."""
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", **CPU_PATHS[path])


def _cpu_has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.is_file() and " avx2" in cpuinfo.read_text()


@pytest.mark.parametrize("path", sorted(CPU_PATHS))
def test_the_variables_select_the_cpu_path(path):
    if path == "avx2" and not _cpu_has_avx2():
        pytest.skip("this CPU has no AVX2")
    probe = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=path_environment(path), check=True)
    assert result.stdout.strip() == CAPABILITY[path]


@pytest.mark.parametrize(("notebook", "path"), [
    pytest.param(notebook, path, id=f"{path}-{notebook.parent.name}",
                 marks=pytest.mark.xdist_group(f"cpu-path-{path}-{notebook.parent.name}"))
    for path in sorted(CPU_PATHS) for notebook in NOTEBOOKS])
def test_solution_notebook_reproduces_its_outputs_on_cpu_path(notebook, path):
    """nbval, as CI runs it on the native path, in a separate process with the CPU path forced."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "--nbval-lax",
                             str(notebook.relative_to(REPO))], cwd=REPO, capture_output=True, text=True,
                            env=path_environment(path), timeout=900)
    assert result.returncode == 0, f"{notebook.name} on the {path} path:\n{result.stdout[-6000:]}"
