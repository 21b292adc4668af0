"""Grade the demo class twice in one run: serial stock `nbgrader autograde`, then this grader.

Prints wall times and the speed-up (target >= 1.8x on 2 cores), the per-submission fixed cost
of each (grading notebooks that run no code), the peak memory of each of this grader's workers
with its kernels (target < 1 GiB), and whether every exercise score matches. Figures only:
nothing here fails. Takes about 15 minutes on 2 cores. Run with `make bench-grader`.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "autograder" / "nbgrader_config.py"
STOCK = """\
# Stock nbgrader: its own autograde chain (plain Execute, in series), default torch threads.
from nbgrader.preprocessors import *
from nbconvert.preprocessors import ClearMetadataPreprocessor
c = get_config()
load_subconfig({base!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
"""
OURS = """\
c = get_config()
load_subconfig({base!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
"""


def course_copy(root: Path, template: str) -> Path:
    """A copy of the course's sources and demo class with its own config and gradebook."""
    for folder in ("solutions", "notebooks", "autograder/demo_class"):
        shutil.copytree(REPO / folder, root / folder)
    config = root / "nbgrader_config.py"  # stock nbgrader reads it from the folder it runs in
    config.write_text(template.format(base=str(CONFIG), root=str(root), db=f"sqlite:///{root / 'gradebook.db'}"))
    return config


def run(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


class MemorySampler:
    """Samples, every 0.2 s, the resident memory of each child of one process plus its descendants."""

    def __init__(self, parent: int) -> None:
        self.parent, self.peaks, self.stop = parent, {}, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    @staticmethod
    def _table() -> dict[int, tuple[int, int]]:
        table = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                table[int(pid)] = (int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE"))
            except (OSError, IndexError):
                pass
        return table

    @classmethod
    def _tree(cls, pid: int, table: dict, children: dict) -> int:
        """Resident bytes of `pid` and all its descendants."""
        return table.get(pid, (0, 0))[1] + sum(cls._tree(child, table, children) for child in children.get(pid, []))

    def _sample(self) -> None:
        while not self.stop.is_set():
            table = self._table()
            children: dict[int, list[int]] = {}
            for pid, (ppid, _) in table.items():
                children.setdefault(ppid, []).append(pid)

            for worker in children.get(self.parent, []):
                self.peaks[worker] = max(self.peaks.get(worker, 0), self._tree(worker, table, children))
            time.sleep(0.2)

    def close(self) -> dict[int, int]:
        self.stop.set()
        self.thread.join()
        return self.peaks


def exercise_scores(root: Path, config: Path) -> pd.DataFrame:
    code = ("import sys; from autograder.course import Course; from autograder.report import exercise_scores; "
            "exercise_scores(Course.load(sys.argv[1])).to_csv(sys.stdout, index=False)")
    out = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, check=True).stdout
    return pd.read_csv(pd.io.common.StringIO(out))


def blank_class(root: Path, students: int) -> None:
    """Replace the submitted folder with `students` copies of lesson 1 with every code cell emptied."""
    shutil.rmtree(root / "work" / "submitted")
    notebook = nbformat.read(REPO / "notebooks" / "01-tensors" / "tensors.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = ""
    for number in range(students):
        folder = root / "work" / "submitted" / f"blank{number:02d}" / "01-tensors"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "tensors.ipynb")


def main() -> None:
    """Print the comparison."""
    cores = os.cpu_count() or 1
    base_env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    base_env["PATH"] = f"{Path(sys.executable).parent}:{base_env.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as scratch:
        stock_root, our_root = Path(scratch) / "stock", Path(scratch) / "ours"
        stock_config, our_config = course_copy(stock_root, STOCK), course_copy(our_root, OURS)
        prepare = [sys.executable, "-m", "autograder", "--config"]
        for root, config in ((stock_root, stock_config), (our_root, our_config)):
            run([*prepare, str(config), "release"], base_env, root)
            run([*prepare, str(config), "demo", "--demo-folder", str(root / "autograder" / "demo_class")],
                base_env, root)
        assignments = sorted(p.name for p in (stock_root / "solutions").iterdir() if p.is_dir())
        submissions = len(list((stock_root / "work" / "submitted").glob("*/*")))
        print(f"demo class: {submissions} submissions, {len(assignments)} lessons, {cores} CPU cores")

        nbgrader = [sys.executable, "-m", "nbgrader"]
        stock_seconds = sum(run([*nbgrader, "autograde", name, "--force"],
                                base_env, stock_root) for name in assignments)
        feedback_seconds = sum(run([*nbgrader, "generate_feedback", name, "--force"],
                                   base_env, stock_root) for name in assignments)
        print(f"stock nbgrader, serial, default torch threads: autograde {stock_seconds:.0f} s, "
              f"+ feedback {feedback_seconds:.0f} s = {stock_seconds + feedback_seconds:.0f} s")

        ours = subprocess.Popen([*prepare, str(our_config), "grade", "--regrade", "--no-progress"], env=base_env,
                                cwd=our_root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampler = MemorySampler(ours.pid)
        start = time.perf_counter()
        ours.wait()
        our_seconds = time.perf_counter() - start
        peaks = sampler.close()
        print(f"this grader, {cores} workers (autograde + feedback + report): {our_seconds:.0f} s")
        print(f"speed-up: {stock_seconds / our_seconds:.2f}x on autograde alone, "
              f"{(stock_seconds + feedback_seconds) / our_seconds:.2f}x on autograde + feedback (target >= 1.8x)")
        worker_peaks = sorted((peak for peak in peaks.values() if peak > 300 * 2**20), reverse=True)
        print("peak memory per worker with its kernels: "
              + ", ".join(f"{peak / 2**30:.2f} GiB" for peak in worker_peaks) + " (target < 1 GiB)")

        stock_scores, our_scores = exercise_scores(stock_root, stock_config), exercise_scores(our_root, our_config)
        same = stock_scores.reset_index(drop=True).equals(our_scores.reset_index(drop=True))
        print(f"exercise scores identical: {same} ({len(our_scores)} graded cells)")
        if not same:
            merged = stock_scores.merge(our_scores, on=["student", "assignment", "notebook", "exercise"],
                                        suffixes=("_stock", "_ours"))
            print(merged[merged.score_stock != merged.score_ours].to_string())

        count = 10
        for root in (stock_root, our_root):
            blank_class(root, count)
        stock_fixed = run([*nbgrader, "autograde", "01-tensors", "--force"],
                          base_env, stock_root) / count
        our_fixed = run([*prepare, str(our_config), "grade", "--regrade", "--no-progress", "--workers", "1"],
                        base_env, our_root) / count
        print(f"per-submission fixed cost (lesson 1 with every code cell empty, {count} submissions, one at a time):"
              f" stock {stock_fixed:.2f} s, this grader {our_fixed:.2f} s (sandboxed, guarded, warm kernels)")


if __name__ == "__main__":
    main()
