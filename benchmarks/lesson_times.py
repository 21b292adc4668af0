"""Execute every solution notebook once and print its wall-clock time against the 30 s target.

Run with `make bench` (one torch thread per process, as in grading). Figures only: nothing here fails.
"""

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TARGET_SECONDS = 30.0
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def time_notebook(path: Path) -> float:
    """Seconds to execute one notebook top to bottom in a fresh kernel (kernel start included)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    """Print one line per lesson and the total."""
    print(f"lesson execution time, {os.cpu_count()} CPU cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    total = 0.0
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        seconds = time_notebook(path)
        total += seconds
        verdict = "ok" if seconds < TARGET_SECONDS else "OVER TARGET"
        print(f"  {path.parent.name:<22} {seconds:6.1f} s  (target < {TARGET_SECONDS:.0f} s: {verdict})")
    print(f"  {'all lessons':<22} {total:6.1f} s")


if __name__ == "__main__":
    main()
