"""Grading at scale: resuming an interrupted run, a Dask cluster, a PostgreSQL gradebook.

All on the small quiz course (tests/autograder/hostile/quiz.py), with a class whose right
scores are known: each student gets the answers for the exercises named in their id.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.grading import GRADED, grade_submissions, journal
from autograder.report import submission_scores
from autograder.sandbox import landlock
from tests.autograder.hostile.quiz import ANSWERS, POINTS, build_quiz_course, submission
from tests.autograder.test_hostile import Case, write_submission

pytestmark = pytest.mark.skipif(sys.platform != "linux" or landlock.abi_version() < 6,
                                reason="the grading sandbox needs Linux with Landlock ABI >= 6")
REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "autograder" / "nbgrader_config.py"
CLASS = {"s1-ex1": ["ex1"], "s2-ex2": ["ex2"], "s3-ex3": ["ex3"], "s4-all": ["ex1", "ex2", "ex3"],
         "s5-none": [], "s6-ex12": ["ex1", "ex2"]}


def expected_score(student: str) -> float:
    return float(sum(POINTS[f"{grade_id}-tests"] for grade_id in CLASS[student]))


def make_class(course: Course) -> list[tuple[str, str]]:
    for student, solved in CLASS.items():
        write_submission(course, student, Case(0, {g: ANSWERS[g] for g in solved}))
    return sorted((student, "quiz") for student in CLASS)


def assert_scores_right(course: Course) -> None:
    scores = submission_scores(course).set_index("student")
    assert {s: scores.loc[s, "score"] for s in CLASS} == {s: expected_score(s) for s in CLASS}


def kernels_alive() -> list[int]:
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"autograder.sandbox.kernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def test_an_interrupted_run_resumes_with_nothing_lost_or_doubled(tmp_path):
    course = build_quiz_course(tmp_path / "course", CONFIG)
    pairs = make_class(course)
    command = [sys.executable, "-m", "autograder", "--config", str(tmp_path / "course" / "nbgrader_config.py"),
               "grade", "--workers", "1", "--no-progress"]
    log = journal(course).path
    run = subprocess.Popen(command, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and (not log.is_file() or len(log.read_text().splitlines()) < 2):
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # a crash: no clean-up of any kind
    run.wait()
    before = [json.loads(line)["student"] for line in log.read_text().splitlines()]
    assert 2 <= len(before) < len(pairs), before

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["student"] for e in entries) == sorted(student for student, _ in pairs)  # each once
    assert all(e["status"] == GRADED for e in entries)
    with Gradebook(course.coursedir.db_url) as gradebook:
        assert len(gradebook.find_assignment("quiz").submissions) == len(pairs)
    assert_scores_right(course)
    again = subprocess.run([*command[:-1], "--no-progress"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and len(log.read_text().splitlines()) == len(pairs)  # nothing regraded
    for _ in range(50):  # kernels orphaned by the kill notice their parent is gone and exit
        if not kernels_alive():
            break
        time.sleep(0.2)
    assert kernels_alive() == []


def test_a_dask_cluster_of_two_workers_grades_like_local_workers(tmp_path):
    course = build_quiz_course(tmp_path / "course", CONFIG)
    pairs = make_class(course)
    outcomes = grade_submissions(course, pairs, progress=False, workers=2, dask="local")
    assert [o.status for o in outcomes] == [GRADED] * len(pairs)
    assert_scores_right(course)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server (Debian's package), started and stopped by the test."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run([*as_postgres, initdb, "-D", str(data), "-A", "trust", "-U", "grader", "-N"], check=True,
                   capture_output=True)
    options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run([*as_postgres, shutil.which("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port),
                        "-U", "grader", "gradebook"], check=True, capture_output=True)
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_gradebook_can_live_in_postgresql(tmp_path, postgres):
    course = build_quiz_course(tmp_path / "course", CONFIG, db_url=postgres)
    pairs = make_class(course)
    outcomes = grade_submissions(course, pairs, progress=False, workers=2)
    assert [o.status for o in outcomes] == [GRADED] * len(pairs)
    assert_scores_right(course)
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres)
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text("select count(*) from submitted_assignment")).scalar()
    engine.dispose()
    assert rows == len(pairs)  # the grades really are in PostgreSQL
    assert not (tmp_path / "course" / "gradebook.db").exists()


def test_kernels_never_see_the_gradebook_password(tmp_path):
    secret = "postgresql+psycopg://grader:hunter2@127.0.0.1:1/gradebook"
    course = build_quiz_course(tmp_path / "course", CONFIG)
    folder = course.folder("submitted") / "curious" / "quiz"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    probe = ANSWERS["ex1"] + "\nimport os\nprint('ENV', sorted(os.environ), open('/proc/self/environ').read())"
    import nbformat

    nbformat.write(submission(course, {"ex1": probe}), folder / "quiz.ipynb")
    old = os.environ.get("GRADEBOOK_URL")
    os.environ["GRADEBOOK_URL"] = secret
    try:
        grade_submissions(course, [("curious", "quiz")], progress=False, workers=1)
    finally:
        if old is None:
            os.environ.pop("GRADEBOOK_URL")
        else:
            os.environ["GRADEBOOK_URL"] = old
    text = (course.folder("autograded") / "curious" / "quiz" / "quiz.ipynb").read_text()
    assert "ENV" in text and "hunter2" not in text and "GRADEBOOK_URL" not in text
