"""The course as nbgrader sees it: configuration, folders and the gradebook URL."""

import copy
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_NAME = "nbgrader_config.py"


def find_config(explicit: str | None = None) -> Path:
    """Return the nbgrader config to use: `explicit`, else ./nbgrader_config.py, else ./autograder/."""
    candidates = [Path(explicit)] if explicit else [Path(CONFIG_NAME), Path("autograder") / CONFIG_NAME]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise FileNotFoundError(
        f"no nbgrader config found (looked for {', '.join(map(str, candidates))}); pass --config PATH"
    )


@dataclass(frozen=True)
class Course:
    """One nbgrader course: its loaded configuration and the folders it names."""

    config: Config

    @classmethod
    def load(cls, config_path: str | Path | None = None) -> "Course":
        """Load the course from an nbgrader config file (see `find_config`)."""
        path = find_config(str(config_path) if config_path else None)
        return cls(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())

    @property
    def coursedir(self) -> CourseDirectory:
        """A fresh nbgrader CourseDirectory built from this configuration."""
        return CourseDirectory(config=self.config)

    def api(self) -> NbGraderAPI:
        """An nbgrader API object for this course, with the gradebook folder created."""
        coursedir = self.coursedir
        if coursedir.db_url.startswith("sqlite:///"):
            Path(coursedir.db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return NbGraderAPI(coursedir=coursedir, config=self.config)

    @property
    def root(self) -> Path:
        """The course root folder."""
        return Path(self.coursedir.root)

    def folder(self, step: str) -> Path:
        """The folder of one nbgrader step: source, release, submitted, autograded or feedback."""
        name = getattr(self.coursedir, f"{step}_directory")
        return self.root / name

    def assignments(self) -> list[str]:
        """Assignment ids in teaching order: the sub-folders of the source folder, sorted."""
        source = self.folder("source")
        return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))

    def copy_to(self, root: Path, extra: tuple[str, ...] = ()) -> "Course":
        """Copy the source and release folders (and `extra` folders under the course root) to `root`;
        return that copy as a Course with its own gradebook in `root/work`."""
        for folder in (self.folder("source"), self.folder("release"), *(self.root / name for name in extra)):
            shutil.copytree(folder, root / folder.relative_to(self.root))
        config = copy.deepcopy(self.config)
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = f"sqlite:///{root / 'work' / 'gradebook.db'}"
        return Course(config)

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The instructor's notebooks of one assignment."""
        return sorted((self.folder("source") / assignment).glob("*.ipynb"))


# One torch thread per kernel, a fixed hash seed, and no network: lessons then use their offline
# datasets, so grading is fast, needs nothing outside the machine and gives the same score every time.
GRADING_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "COURSE_OFFLINE": "1"}
UNSET_WHILE_GRADING = ("COURSE_DATA_DIR",)
# Which CPU kernels torch, MKL and oneDNN use. Hosts differ (AVX-512 on some); these settings force
# the AVX2 path or the baseline (SSE4.2) path on any x86-64 machine. Grading kernels keep the
# variables when they are set, so a class can be graded, and grades tested, on either path.
CPU_PATHS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "baseline": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
CPU_PATH_VARIABLES = tuple(CPU_PATHS["avx2"])


def use_grading_environment() -> None:
    """Set the environment that grading kernels inherit from this process (see GRADING_ENVIRONMENT)."""
    os.environ.update(GRADING_ENVIRONMENT)
    for name in UNSET_WHILE_GRADING:
        os.environ.pop(name, None)
