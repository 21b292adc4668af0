"""A JupyterLab server on loopback over a private, graded copy of the course, and a headless Chromium."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TOKEN = "course-e2e-token"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


def _skip_reason() -> str | None:
    if CHROMIUM is None:
        return "no Chromium on PATH (CI installs Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def pytest_collection_modifyitems(items):
    reason = _skip_reason()
    if reason:
        for item in items:
            if "e2e" in item.nodeid:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory, course_copier):
    """A course copy whose gradebook holds the demo class's graded submissions for lesson 1."""
    from autograder.demo import build_demo_class
    from autograder.grading import grade_submissions
    from autograder.release import release

    course = course_copier(tmp_path_factory.mktemp("e2e") / "course")
    shutil.copy(Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py",
                course.root / "autograder" / "nbgrader_config.py")
    release(course)
    pairs = [pair for pair in build_demo_class(course, course.root / "autograder" / "demo_class")
             if pair[1] == "01-tensors"]
    outcomes = grade_submissions(course, pairs, progress=False)
    assert [o.status for o in outcomes] == ["graded"] * len(pairs)
    return course


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server: where it is, its token, and where screenshots go."""

    base: str
    token: str
    artifacts: Path

    def url(self, path: str) -> str:
        """A URL on the server, with the token."""
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"


@contextlib.contextmanager
def serve_lab(root: Path, config_folder: Path, home: Path) -> Iterator[Lab]:
    """A JupyterLab server (nbgrader extensions on) rooted at `root`, reading nbgrader_config.py in `config_folder`."""
    port = _free_port()
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = dict(os.environ, COURSE_OFFLINE="1", JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}"],
        cwd=config_folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start; see {home / 'server.log'}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield Lab(base, TOKEN, ARTIFACTS)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def lab_server(graded_course, tmp_path_factory):
    """A JupyterLab server (nbgrader extensions on) rooted at the graded course copy."""
    home = tmp_path_factory.mktemp("jupyter-home")
    with serve_lab(graded_course.root, graded_course.root / "autograder", home) as lab:
        yield lab


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium from Debian's package, driven by playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser page with a large viewport."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    new_page = context.new_page()
    new_page.set_default_timeout(60_000)
    yield new_page
    context.close()
