"""deploy/: the JupyterHub configuration gives each role its groups, scopes and Jupyter configuration."""

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    """deploy/jupyterhub_config.py loaded for a class of one instructor and two students."""
    class_file = tmp_path / "class.toml"
    class_file.write_text('instructors = ["teacher"]\nstudents = ["ada", "ben"]\n')
    monkeypatch.setenv("COURSE_CLASS_FILE", str(class_file))
    monkeypatch.setenv("COURSE_EXCHANGE_ROOT", str(tmp_path / "exchange"))
    return PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()


def _student_config_course_id() -> str:
    source = (REPO / "autograder" / "nbgrader_student_config.py").read_text()
    return next(line.split("=")[1].strip().strip('"') for line in source.splitlines() if line.startswith("COURSE_ID"))


def test_groups_are_nbgraders_names_for_this_course(hub_config):
    course = _student_config_course_id()
    groups = hub_config.JupyterHub.load_groups
    assert groups == {f"formgrade-{course}": {"users": ["teacher"]}, f"nbgrader-{course}": {"users": ["ada", "ben"]}}
    assert hub_config.Authenticator.allowed_users == {"teacher", "ada", "ben"}


def test_instructors_manage_only_the_course_group_and_servers_act_as_their_owner(hub_config):
    roles = {role["name"]: role for role in hub_config.JupyterHub.load_roles}
    assert roles["server"]["scopes"] == ["inherit"]
    instructor = roles["instructor-torch-foundations"]
    assert instructor["groups"] == ["formgrade-torch-foundations"]
    assert not [scope for scope in instructor["scopes"] if scope.startswith(("access:servers", "admin"))]
    assert all(scope.endswith("!group=nbgrader-torch-foundations") or scope.startswith("list:")
               for scope in instructor["scopes"])


def _spawner(name: str, groups: list[str], environment: dict) -> SimpleNamespace:
    user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=group) for group in groups])
    return SimpleNamespace(user=user, environment=environment, notebook_dir="")


def test_each_role_gets_its_own_jupyter_configuration(hub_config):
    hook = hub_config.Spawner.pre_spawn_hook
    shared = dict(hub_config.Spawner.environment)
    student = _spawner("ada", ["nbgrader-torch-foundations"], shared)
    teacher = _spawner("teacher", ["formgrade-torch-foundations"], shared)
    hook(student)
    hook(teacher)
    assert student.environment["JUPYTER_CONFIG_PATH"] == str(DEPLOY / "student")
    assert teacher.environment["JUPYTER_CONFIG_PATH"] == str(DEPLOY / "instructor")
    assert "JUPYTER_CONFIG_PATH" not in shared, "one user's settings must not leak into the shared default"
    assert teacher.notebook_dir == str(REPO) and student.notebook_dir == ""
    with pytest.raises(ValueError, match="neither"):
        hook(_spawner("mallory", [], shared))


def test_student_servers_leave_out_the_instructor_extensions():
    server = json.loads((DEPLOY / "student" / "jupyter_server_config.json").read_text())
    disabled = {name for name, on in server["ServerApp"]["jpserver_extensions"].items() if not on}
    assert disabled == {"nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"}
    lab = json.loads((DEPLOY / "student" / "labconfig" / "page_config.json").read_text())
    assert set(lab["disabledExtensions"]) == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                                              "@jupyter/nbgrader:course-list"}


def test_a_students_nbgrader_knows_the_course_the_exchange_and_who_they_are(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_EXCHANGE_ROOT", str(tmp_path / "exchange"))
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    monkeypatch.delenv("COURSE_ROOT", raising=False)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(DEPLOY / "student")).load_config()
    assert config.CourseDirectory.course_id == _student_config_course_id()
    assert config.Exchange.root == str(tmp_path / "exchange")
    assert config.CourseDirectory.student_id == "ada"
    assert config.Authenticator.plugin_class.__name__ == "JupyterHubAuthPlugin"
    assert "source_directory" not in config.CourseDirectory, "a student's config holds nothing of the instructor's"


def test_the_example_class_file_parses():
    class_list = tomllib.loads((DEPLOY / "class.toml").read_text())
    assert class_list["instructors"] and class_list["students"]


def test_without_a_hub_the_student_folder_asks_no_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_EXCHANGE_ROOT", str(tmp_path / "exchange"))
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(DEPLOY / "student")).load_config()
    assert config.CourseDirectory.course_id == _student_config_course_id()
    assert "plugin_class" not in config.Authenticator, "`make lab` on a student's computer has no hub to ask"
    assert "student_id" not in config.CourseDirectory


def test_tls_comes_from_the_environment_and_needs_both_files(monkeypatch, hub_config):
    assert "ssl_cert" not in hub_config.JupyterHub, "without the variables the hub sets no TLS of its own"
    monkeypatch.setenv("COURSE_HUB_SSL_CERT", "/etc/ssl/hub.crt")
    monkeypatch.setenv("COURSE_HUB_SSL_KEY", "/etc/ssl/private/hub.key")
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()
    assert (config.JupyterHub.ssl_cert, config.JupyterHub.ssl_key) == ("/etc/ssl/hub.crt", "/etc/ssl/private/hub.key")
    monkeypatch.delenv("COURSE_HUB_SSL_KEY")
    with pytest.raises(ValueError, match="both COURSE_HUB_SSL_CERT and COURSE_HUB_SSL_KEY"):
        PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()
