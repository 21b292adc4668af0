"""Which optional dependencies are installed: the grader's extra (`pip install '.[grader]'`) or only a student's."""

from importlib.util import find_spec

# What the grader imports that a student install leaves out: HTML cleaning, Dask, PostgreSQL.
GRADER_MODULES = {"nh3": "nh3", "distributed": "distributed", "psycopg": "psycopg[binary]"}


def missing_grader_packages() -> list[str]:
    """The grader extra's packages that cannot be imported here; [] when the grader is installed."""
    return [package for module, package in GRADER_MODULES.items() if find_spec(module) is None]


def grader_missing_message() -> str | None:
    """One line telling how to install the grader's extra, or None when it is installed."""
    missing = missing_grader_packages()
    if not missing:
        return None
    return (f"the grader needs its extra ({', '.join(missing)} missing): "
            "run `pip install -e '.[grader]'` in the course folder (or `make venv`)")
