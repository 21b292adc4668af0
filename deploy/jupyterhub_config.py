"""JupyterHub for one class of the course on one machine: `jupyterhub -f deploy/jupyterhub_config.py`.

Everyone listed in the class file (deploy/class.toml, or $COURSE_CLASS_FILE) can log in; instructors
are in the JupyterHub group formgrade-torch-foundations, students in nbgrader-torch-foundations (the
names nbgrader's JupyterHubAuthPlugin reads). Each single-user server runs from this Python
environment, so the course's packages are the kernel, and gets a per-role Jupyter configuration
folder: deploy/instructor/ (nbgrader's Formgrader and Create Assignment, the whole course) or
deploy/student/ (Assignments and Validate only). Assignments travel through nbgrader's exchange at
$COURSE_EXCHANGE_ROOT (default /usr/local/share/nbgrader/exchange).
"""

import os
import sys
import tomllib
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
COURSE_ROOT = Path(os.environ.get("COURSE_ROOT", DEPLOY.parent)).resolve()
COURSE_ID = "torch-foundations"  # the same as c.CourseDirectory.course_id in autograder/nbgrader_config.py
INSTRUCTORS = f"formgrade-{COURSE_ID}"
STUDENTS = f"nbgrader-{COURSE_ID}"
EXCHANGE_ROOT = os.environ.get("COURSE_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")
ENVIRONMENT_BIN = Path(sys.executable).parent

class_list = tomllib.loads(Path(os.environ.get("COURSE_CLASS_FILE", DEPLOY / "class.toml")).read_text())
instructors, students = class_list["instructors"], class_list["students"]

c = get_config()  # noqa: F821
c.JupyterHub.load_groups = {INSTRUCTORS: {"users": instructors}, STUDENTS: {"users": students}}
c.Authenticator.allowed_users = set(instructors) | set(students)
c.JupyterHub.load_roles = [
    # A single-user server's token acts as its owner: nbgrader's JupyterHubAuthPlugin reads the
    # owner's groups to list their courses, and an instructor's Formgrader adds students to the group.
    {"name": "server", "scopes": ["inherit"]},
    # Instructors see and manage the course's students; they cannot open students' servers.
    {"name": f"instructor-{COURSE_ID}", "groups": [INSTRUCTORS],
     "scopes": ["list:users", f"read:users!group={STUDENTS}", "list:groups", f"read:groups!group={STUDENTS}",
                f"groups!group={STUDENTS}"]},
]

# HTTPS: logins carry real passwords (PAM), so serve them over TLS. COURSE_HUB_SSL_CERT and
# COURSE_HUB_SSL_KEY name the certificate and its key (both, or neither when a reverse proxy such as
# nginx or Caddy terminates TLS in front of a hub bound to 127.0.0.1).
tls_files = {name: os.environ.get(f"COURSE_HUB_SSL_{name.upper()}") for name in ("cert", "key")}
if any(tls_files.values()):
    if not all(tls_files.values()):
        raise ValueError("set both COURSE_HUB_SSL_CERT and COURSE_HUB_SSL_KEY (certificate and key), or neither")
    c.JupyterHub.ssl_cert, c.JupyterHub.ssl_key = tls_files["cert"], tls_files["key"]

c.Spawner.cmd = [str(ENVIRONMENT_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": f"{ENVIRONMENT_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    "COURSE_ROOT": str(COURSE_ROOT),
    "COURSE_EXCHANGE_ROOT": EXCHANGE_ROOT,
    **{name: os.environ[name] for name in ("COURSE_DATA_DIR", "COURSE_OFFLINE") if name in os.environ},
}


def role_of(user) -> str:
    """'instructor' or 'student', from the user's JupyterHub groups."""
    groups = {group.name for group in user.groups}
    if INSTRUCTORS in groups:
        return "instructor"
    if STUDENTS in groups:
        return "student"
    raise ValueError(f"{user.name} is in neither {INSTRUCTORS} nor {STUDENTS}; add them to the class file")


def configure_by_role(spawner) -> None:
    """Point the server at its role's Jupyter configuration; instructors' servers open on the course."""
    role = role_of(spawner.user)
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": str(DEPLOY / role)}
    if role == "instructor":
        spawner.notebook_dir = str(COURSE_ROOT)


c.Spawner.pre_spawn_hook = configure_by_role
