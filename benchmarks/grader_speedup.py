"""Grade the demo class three ways in one run: serial stock nbgrader, this grader before zygotes, and now.

"Before" starts each kernel by exec, runs every cell in it and writes feedback with nbconvert's own
exporter; "now" forks each kernel from a zygote that ran the lesson's opening cells once per worker
(autograder/sandbox/zygote.py) and writes feedback with autograder/feedback_export.py. Prints
wall time and CPU per submission of each, the speed-up over stock (issue #16: >= 8x), CPU against
"before" (>= 5x less), the peak memory (PSS) of each worker with its zygotes and kernels, whether
every exercise score matches, and the per-submission fixed cost (notebooks that run no code;
<= 0.5 s). Figures only: nothing here fails. About 20 minutes on 2 cores; `make bench-grader`.
"""

import os
import resource
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
c.GenerateFeedback.exporter_class = "nbconvert.exporters.HTMLExporter"
"""
# This grader before issue #16: every kernel started by exec runs every cell; nbconvert's own feedback exporter.
BEFORE = """
c.SandboxedExecute.fork_kernels = False
c.GenerateFeedback.exporter_class = "nbconvert.exporters.HTMLExporter"
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


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, CPU seconds of it and every process it waited for)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


class MemorySampler:
    """Samples, every 0.2 s, the memory (PSS) of each child of one process plus its descendants."""

    def __init__(self, parent: int) -> None:
        self.parent, self.peaks, self.stop = parent, {}, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    @staticmethod
    def _table() -> dict[int, tuple[int, int]]:
        """pid -> (parent pid, proportional set size in bytes: pages shared after a fork counted once)."""
        table = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                pss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                           if line.startswith("Pss:"))
                table[int(pid)] = (int(fields[1]), pss * 1024)
            except (OSError, IndexError, StopIteration, ValueError):
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


def grade_ours(root: Path, config: Path, env: dict[str, str], extra: str = "") -> tuple[float, float, list[int]]:
    """Grade the class with this grader (`extra` appended to its config): wall, CPU, peak memory per worker."""
    if extra:
        config.write_text(config.read_text() + extra)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "autograder", "--config", str(config), "grade", "--regrade", "--no-progress"]
    ours = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = MemorySampler(ours.pid)
    start = time.perf_counter()
    ours.wait()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peaks = sorted((peak for peak in sampler.close().values() if peak > 100 * 2**20), reverse=True)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), peaks


def main() -> None:
    """Print the comparison."""
    cores = os.cpu_count() or 1
    base_env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    base_env["PATH"] = f"{Path(sys.executable).parent}:{base_env.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as scratch:
        roots = {name: Path(scratch) / name for name in ("stock", "exec", "ours")}
        configs = {name: course_copy(root, STOCK if name == "stock" else OURS) for name, root in roots.items()}
        prepare = [sys.executable, "-m", "autograder", "--config"]
        for name, root in roots.items():
            run([*prepare, str(configs[name]), "release"], base_env, root)
            run([*prepare, str(configs[name]), "demo", "--demo-folder", str(root / "autograder" / "demo_class")],
                base_env, root)
        stock_root = roots["stock"]
        assignments = sorted(p.name for p in (stock_root / "solutions").iterdir() if p.is_dir())
        submissions = len(list((stock_root / "work" / "submitted").glob("*/*")))
        print(f"demo class: {submissions} submissions, {len(assignments)} lessons, {cores} CPU cores")

        nbgrader = [sys.executable, "-m", "nbgrader"]
        stock = [run([*nbgrader, step, name, "--force"], base_env, stock_root)
                 for step in ("autograde", "generate_feedback") for name in assignments]
        stock_seconds, stock_cpu = sum(wall for wall, _ in stock), sum(cpu for _, cpu in stock)
        print(f"stock nbgrader, serial, default torch threads (autograde + feedback): {stock_seconds:.0f} s, "
              f"CPU {stock_cpu / submissions:.1f} s per submission")

        before_seconds, before_cpu, _ = grade_ours(roots["exec"], configs["exec"], base_env, BEFORE)
        print(f"this grader before (a kernel started by exec runs every cell; stock feedback), {cores} workers: "
              f"{before_seconds:.0f} s, CPU {before_cpu / submissions:.2f} s per submission")
        our_seconds, our_cpu, peaks = grade_ours(roots["ours"], configs["ours"], base_env)
        print(f"this grader (kernels forked after the lesson's opening cells), {cores} workers: {our_seconds:.0f} s, "
              f"CPU {our_cpu / submissions:.2f} s per submission")
        print(f"CPU per submission: {before_cpu / our_cpu:.2f}x less than before (target >= 5x), "
              f"{stock_cpu / our_cpu:.2f}x less than stock")
        print(f"speed-up over serial stock nbgrader (autograde + feedback): {stock_seconds / our_seconds:.2f}x "
              f"(target >= 8x); before zygotes: {stock_seconds / before_seconds:.2f}x")
        print("peak memory per worker with its zygotes and kernels (PSS): "
              + ", ".join(f"{peak / 2**30:.2f} GiB" for peak in peaks))

        scores = {name: exercise_scores(root, configs[name]).reset_index(drop=True) for name, root in roots.items()}
        for name in ("stock", "exec"):
            same = scores[name].equals(scores["ours"])
            print(f"exercise scores identical to {name}: {same} ({len(scores['ours'])} graded cells)")
            if not same:
                merged = scores[name].merge(scores["ours"], on=["student", "assignment", "notebook", "exercise"],
                                            suffixes=("_other", "_ours"))
                print(merged[merged.score_other != merged.score_ours].to_string())

        fixed = {}
        for count in (10, 20):  # the difference is what one more submission costs, start-up left out
            for root in (stock_root, roots["ours"]):
                blank_class(root, count)
            fixed[count] = (run([*nbgrader, "autograde", "01-tensors", "--force"], base_env, stock_root),
                            run([*prepare, str(configs["ours"]), "grade", "--regrade", "--no-progress", "--workers",
                                 "1"], base_env, roots["ours"]))
        (stock_10, ours_10), (stock_20, ours_20) = fixed[10], fixed[20]
        print("per-submission fixed cost (lesson 1 with every code cell empty, one worker, (20 - 10 submissions) / 10):"
              f" stock {(stock_20[0] - stock_10[0]) / 10:.2f} s wall, {(stock_20[1] - stock_10[1]) / 10:.2f} s CPU"
              f" (autograde only); this grader {(ours_20[0] - ours_10[0]) / 10:.2f} s wall, "
              f"{(ours_20[1] - ours_10[1]) / 10:.2f} s CPU (autograde + feedback; target <= 0.5 s); "
              f"10 submissions in all: stock {stock_10[0]:.0f} s, this grader {ours_10[0]:.0f} s")


if __name__ == "__main__":
    main()
