"""A class on the course's JupyterHub (deploy/): students fetch, answer and submit lesson 1 in the browser,
the instructor collects, grades with this course's grader and releases feedback, a student reads it.

JupyterHub runs on 127.0.0.1 with the real configurable-http-proxy (CI installs it from npm) and every
user's server on this machine (SimpleLocalProcessSpawner); nbgrader's exchange is a temporary folder.
"""

import contextlib
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.demo import answer_file_sources, fill_answers, solution_sources

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01-tensors"
NOTEBOOK = "tensors.ipynb"
PASSWORD = "course-hub-e2e"
INSTRUCTOR = "teacher"
# Hub users named after demo students, so the grades can be checked against the demo roster.
STUDENTS = ("ada", "ben")
SHOTS = REPO / "test-artifacts" / "e2e" / "hub"
# Where .ci/run installs the proxy from npm when it is not on PATH.
# nbgrader's Create Assignment panel in JupyterLab's right sidebar (the id is nbgrader's spelling).
CREATE_ASSIGNMENT_PANEL = "#nbgrader-create_assignemnt"
CHP_INSTALL = Path.home() / ".cache" / "torch-foundations" / "node" / "node_modules" / ".bin"


def _proxy() -> str | None:
    return shutil.which("configurable-http-proxy") or shutil.which("configurable-http-proxy", path=str(CHP_INSTALL))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _skip_reason() -> str | None:
    if _proxy() is None:
        return "configurable-http-proxy is not installed (CI runs `npm install configurable-http-proxy@5`)"
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "jupyterhub is not installed (pip install -e '.[hub]')"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@dataclass(frozen=True)
class Hub:
    """A running course hub: its address, the course copy it serves, the exchange and users' homes."""

    base: str
    course: Path
    homes: Path
    exchange: Path
    environment: dict

    def instructor_runs(self, *command: str) -> str:
        """Run a command as the instructor would in their server's terminal; return its output."""
        done = subprocess.run(command, cwd=self.course, env=self.environment, capture_output=True, text=True,
                              timeout=240)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr


def _hub_config(folder: Path, port: int) -> Path:
    """The deployment's configuration with this test's authenticator, spawner, ports and folders."""
    config = folder / "jupyterhub_test_config.py"
    config.write_text(f"""
load_subconfig({str(REPO / "deploy" / "jupyterhub_config.py")!r})
c = get_config()
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "homes" / "{username}")!r}
c.Spawner.args = ["--allow-root"] if {os.getuid() == 0!r} else []
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {_free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.command = [{_proxy()!r}]
c.JupyterHub.db_url = "sqlite:///{folder / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "jupyterhub.pid")!r}
""")
    return config


@contextlib.contextmanager
def running_hub(folder: Path, course: Path, exchange: Path) -> Iterator[Hub]:
    """Start JupyterHub and its proxy; on leaving, stop them and check every process they started is gone."""
    (folder / "class.toml").write_text(f"instructors = [{INSTRUCTOR!r}]\nstudents = {list(STUDENTS)!r}\n")
    port = _free_port()
    environment = dict(os.environ, COURSE_ROOT=str(course), COURSE_EXCHANGE_ROOT=str(exchange),
                       COURSE_CLASS_FILE=str(folder / "class.toml"), COURSE_OFFLINE="1",
                       PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    environment.pop("JUPYTER_CONFIG_PATH", None)
    log = (folder / "jupyterhub.log").open("w")
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(_hub_config(folder, port))],
                           cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            json.load(urllib.request.urlopen(f"{base}/hub/api", timeout=2))
            break
        except OSError:
            if hub.poll() is not None or time.monotonic() > deadline:
                hub.kill()
                log.close()
                pytest.fail(f"JupyterHub did not start; see {folder / 'jupyterhub.log'}")
            time.sleep(0.5)
    process = psutil.Process(hub.pid)
    try:
        yield Hub(base, course, folder / "homes", exchange,
                  dict(environment, JUPYTER_CONFIG_PATH=str(REPO / "deploy" / "instructor")))
    finally:
        started = process.children(recursive=True)
        hub.terminate()  # the hub stops the users' servers and its proxy on the way out
        try:
            hub.wait(timeout=60)
        except subprocess.TimeoutExpired:
            hub.kill()
        _, alive = psutil.wait_procs(started, timeout=30)
        for stray in alive:
            stray.kill()
        log.close()
        assert not alive, f"processes left running after JupyterHub stopped: {[p.pid for p in alive]}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, course_copier) -> Iterator[Hub]:
    """A course hub over a private course copy, with the course's exchange created by its instructor."""
    folder = tmp_path_factory.mktemp("hub")
    course = course_copier(folder / "course")
    for config in ("nbgrader_config.py", "nbgrader_student_config.py"):
        shutil.copy(REPO / "autograder" / config, course.root / "autograder" / config)
    exchange = folder / "exchange"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_hub(folder, course.root, exchange) as running:
        running.instructor_runs(sys.executable, "-m", "autograder", "exchange", "init")
        yield running


def _submit_log_in(browser, hub: Hub, user: str):
    """A browser page that has sent `user`'s login; the hub then starts their server."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login_submit", no_wait_after=True)
    return page


def _wait_for_lab(page, user: str) -> None:
    """Wait until `user`'s JupyterLab has loaded in the page."""
    page.wait_for_url(f"**/user/{user}/lab**", timeout=240_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    page.wait_for_selector(".jp-DirListing-content", timeout=120_000)


def _menu_items(page, menu: str, screenshot: Path) -> list[str]:
    """The labels of one top-level JupyterLab menu, photographed while open."""
    page.locator(f".lm-MenuBar-itemLabel:text-is('{menu}')").click()
    page.locator(".lm-Menu").first.wait_for()
    labels = page.locator(".lm-Menu .lm-Menu-itemLabel").all_text_contents()
    page.screenshot(path=screenshot)
    page.keyboard.press("Escape")
    return [label.strip() for label in labels if label.strip()]


def _open_assignments(page):
    """Open nbgrader's Assignments tab and wait for its lists to load."""
    page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Assignment List')").click()
    page.wait_for_selector("#released_assignments_list_loading", state="hidden")
    page.wait_for_selector("#submitted_assignments_list_loading", state="hidden")


def _answer(hub: Hub, student: str) -> None:
    """Write the demo student's answers into the notebook the student fetched (as if typed)."""
    fetched = hub.homes / student / ASSIGNMENT / NOTEBOOK
    if student == "ada":
        answers = solution_sources(hub.course / "solutions" / ASSIGNMENT / NOTEBOOK)
    else:
        answers = answer_file_sources(hub.course / "autograder" / "demo_class" / ASSIGNMENT / f"{student}.py")
    nbformat.write(fill_answers(fetched, answers), fetched)


def _expected_score(student: str) -> float:
    roster = tomllib.loads((REPO / "autograder" / "demo_class" / "roster.toml").read_text())
    return next(s["expected"][ASSIGNMENT] for s in roster["student"] if s["id"] == student)


@pytest.fixture(scope="module")
def logged_in(browser, hub) -> Iterator[dict]:
    """A page per user, logged in at once (the hub starts their servers together); lesson 1 released meanwhile."""
    pages = {user: _submit_log_in(browser, hub, user) for user in (*STUDENTS, INSTRUCTOR)}
    hub.instructor_runs(sys.executable, "-m", "autograder", "exchange", "release", ASSIGNMENT)  # meanwhile
    for user, page in pages.items():
        _wait_for_lab(page, user)
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def student_pages(logged_in) -> dict:
    """Each student's page; kept open so the feedback step continues in the same session."""
    return {student: logged_in[student] for student in STUDENTS}


@pytest.fixture(scope="module")
def instructor_page(logged_in):
    """The instructor's page, on their own server."""
    return logged_in[INSTRUCTOR]


def test_students_fetch_answer_and_submit(hub, student_pages):
    for number, (student, page) in enumerate(student_pages.items(), start=1):
        page.screenshot(path=SHOTS / f"{number}a-{student}-logged-in.png")
        _open_assignments(page)
        released = page.locator("#released_assignments_list .list_item").filter(has_text=ASSIGNMENT)
        released.wait_for()
        page.screenshot(path=SHOTS / f"{number}b-{student}-assignments-released.png")
        released.locator("button:text-is('Fetch')").click()
        fetched = page.locator("#fetched_assignments_list .list_item").filter(has_text=ASSIGNMENT).first
        fetched.wait_for()
        assert (hub.homes / student / ASSIGNMENT / NOTEBOOK).is_file(), "Fetch should copy lesson 1 into the home"
        _answer(hub, student)
        if number == 1:  # the lesson as the student sees it, with its bilingual headings
            page.goto(page.url.split("/lab")[0] + f"/lab/tree/{ASSIGNMENT}/{NOTEBOOK}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            if accept.count():
                accept.first.click()
            heading = page.locator(".jp-MarkdownOutput h1").first
            assert "张量与自动求导" in heading.inner_text()
            page.screenshot(path=SHOTS / f"{number}c-{student}-lesson-1-heading.png")
            _open_assignments(page)
            fetched = page.locator("#fetched_assignments_list .list_item").filter(has_text=ASSIGNMENT).first
        fetched.locator("button:text-is('Submit')").click()
        page.locator("#submitted_assignments_list .list_item").filter(has_text=ASSIGNMENT).first.wait_for()
        page.screenshot(path=SHOTS / f"{number}d-{student}-submitted.png")
    inbound = sorted(path.name.split("+")[0] for path in (hub.exchange / "torch-foundations" / "inbound").iterdir())
    assert inbound == sorted(STUDENTS), f"the exchange should hold one submission per student, not {inbound}"


def test_instructor_collects_grades_and_releases_feedback(hub, instructor_page):
    hub.instructor_runs(sys.executable, "-m", "autograder", "exchange", "collect", ASSIGNMENT)
    for student in STUDENTS:
        assert (hub.course / "work" / "submitted" / student / ASSIGNMENT / NOTEBOOK).is_file()
    hub.instructor_runs(sys.executable, "-m", "autograder", "grade", ASSIGNMENT)
    hub.instructor_runs(sys.executable, "-m", "autograder", "exchange", "feedback", ASSIGNMENT)
    with (hub.course / "work" / "grades.csv").open() as report:
        scores = {row["student"]: float(row["score"]) for row in csv.DictReader(report)
                  if row["assignment"] == ASSIGNMENT}
    assert scores == {student: _expected_score(student) for student in STUDENTS}
    page = instructor_page
    page.goto(f"{hub.base}/user/{INSTRUCTOR}/formgrader/manage_submissions/{ASSIGNMENT}")
    page.locator("#main-table tr").filter(has_text="ben").first.wait_for(timeout=60_000)
    page.screenshot(path=SHOTS / "3-instructor-formgrader-graded.png")
    for student in STUDENTS:
        row = page.locator("#main-table tr").filter(has_text=student).first.inner_text()
        shown = re.search(rf"graded\s+(\d+(?:\.\d+)?)\s*/\s*{_expected_score('ada'):g}\b", row)
        assert shown and float(shown[1]) == _expected_score(student), f"Formgrader's row for {student}: {row}"


def test_student_fetches_and_reads_feedback(hub, student_pages):
    page = student_pages["ben"]
    _open_assignments(page)
    submitted = page.locator("#submitted_assignments_list .list_item").filter(has_text=ASSIGNMENT).first
    submitted.locator("button:text-is('Fetch Feedback')").click()
    view = page.locator("#submitted_assignments_list a:text('view feedback')").first
    view.wait_for()
    page.screenshot(path=SHOTS / "4a-ben-feedback-fetched.png")
    html = next((hub.homes / "ben" / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK.replace('.ipynb', '.html')}"))
    relative = html.relative_to(hub.homes / "ben").as_posix()
    page.goto(f"{hub.base}/user/ben/files/{relative}")
    text = page.locator("body").inner_text()
    page.screenshot(path=SHOTS / "4b-ben-reads-feedback.png", full_page=False)
    score = f"tensors (Score: {_expected_score('ben')} / {_expected_score('ada')})"  # ada: the solutions
    assert score in text, f"ben's feedback should show his score: {text[:300]}"
    assert "BEGIN HIDDEN TESTS" not in text, "feedback must not show the hidden tests"
    assert not (hub.homes / "ada" / ASSIGNMENT / "feedback").exists(), "feedback reaches only who fetches it"


def test_only_the_instructor_has_formgrader_and_create_assignment(hub, student_pages, instructor_page):
    page = student_pages["ada"]
    page.goto(f"{hub.base}/user/ada/lab")
    page.wait_for_selector("#jp-main-dock-panel")
    items = _menu_items(page, "Nbgrader", SHOTS / "5a-student-nbgrader-menu.png")
    assert "Assignment List" in items
    assert not {"Formgrader", "Create assignment", "Course List"} & set(items), f"a student's menu shows {items}"
    assert page.locator(CREATE_ASSIGNMENT_PANEL).count() == 0, "a student should have no Create Assignment panel"
    status = page.request.get(f"{hub.base}/user/ada/formgrader").status
    assert status == 404, f"a student's server should not serve Formgrader (HTTP {status})"

    teacher = instructor_page
    teacher.goto(f"{hub.base}/user/{INSTRUCTOR}/lab")
    teacher.wait_for_selector("#jp-main-dock-panel")
    items = _menu_items(teacher, "Nbgrader", SHOTS / "5b-instructor-nbgrader-menu.png")
    assert {"Formgrader", "Create assignment"} <= set(items), f"the instructor's menu shows {items}"
    assert teacher.locator(CREATE_ASSIGNMENT_PANEL).count() == 1, "the instructor should have Create Assignment"
    assert teacher.request.get(f"{hub.base}/user/{INSTRUCTOR}/formgrader").status == 200
