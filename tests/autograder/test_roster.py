"""The roster import: names and emails reach the gradebook, and a file with any problem changes nothing."""

import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main
from autograder.roster import RosterError, gradebook_roster, import_roster, read_roster

REPO = Path(__file__).resolve().parents[2]
GOOD = "id,first_name,last_name,email\nada,Ada,Okafor,ada@example.org\nben,Ben,Lindqvist,\n"


def _file(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _students(course) -> dict[str, tuple]:
    with Gradebook(course.coursedir.db_url) as gradebook:
        return {s.id: (s.first_name, s.last_name, s.email) for s in gradebook.students}


@pytest.fixture
def cli_course(course_copy, monkeypatch):
    """The course copy with its own nbgrader_config.py, so the CLI can load it."""
    monkeypatch.delenv("GRADEBOOK_URL", raising=False)
    config = course_copy.root / "autograder" / "nbgrader_config.py"
    shutil.copy(REPO / "autograder" / "nbgrader_config.py", config)
    return course_copy, config


def test_import_writes_names_and_emails(course_copy, tmp_path):
    entries = import_roster(course_copy, _file(tmp_path, GOOD))
    assert [e.id for e in entries] == ["ada", "ben"]
    assert _students(course_copy) == {"ada": ("Ada", "Okafor", "ada@example.org"), "ben": ("Ben", "Lindqvist", None)}


def test_import_updates_a_student_grading_created_without_touching_others(course_copy, tmp_path):
    course_copy.api()
    with Gradebook(course_copy.coursedir.db_url) as gradebook:
        gradebook.update_or_create_student("ada")  # as autograde creates it: no names
        gradebook.update_or_create_student("zoe", first_name="Zoë", last_name="Kim")
    import_roster(course_copy, _file(tmp_path, GOOD))
    students = _students(course_copy)
    assert students["ada"] == ("Ada", "Okafor", "ada@example.org")
    assert students["zoe"] == ("Zoë", "Kim", None)


def test_excel_bom_and_other_header_names_are_accepted(tmp_path):
    text = "\ufeffStudent ID,Given name,Surname,E-mail,Section\ncleo,Cléo,Marchetti,cleo@example.org,B\n"
    [entry] = read_roster(_file(tmp_path, text))
    assert (entry.id, entry.first_name, entry.last_name, entry.email) == ("cleo", "Cléo", "Marchetti",
                                                                          "cleo@example.org")


def test_every_bad_row_is_reported_with_its_line_and_nothing_changes(course_copy, tmp_path):
    import_roster(course_copy, _file(tmp_path, GOOD, name="first.csv"))
    before = _students(course_copy)
    bad = _file(tmp_path, (
        "id,first_name,last_name,email\n"
        "ada,Ada,Changed,ada@example.org\n"  # line 2: fine, but must not be written
        ",No,Id,x@example.org\n"  # line 3
        "ADA,Dup,Licate,\n"  # line 4
        "../etc,Bad,Folder,\n"  # line 5
        "dev,Dev,Raman,dev-at-example.org\n"  # line 6
        "eve,,,\n"  # line 7
        "fay,Fay,\"Rey\x1b[2J\",\n"  # line 8
        "gus,Gus,Ode,gus@example.org,extra\n"  # line 9
    ))
    with pytest.raises(RosterError) as raised:
        import_roster(course_copy, bad)
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [f"roster.csv line {n}" for n in (3, 4, 5, 6, 7, 8, 9)]
    assert "empty student id" in problems[0]
    assert "already on line 2" in problems[1]
    assert "not a valid folder name" in problems[2]
    assert "is not an email address" in problems[3]
    assert "no name" in problems[4]
    assert "control characters" in problems[5]
    assert "5 fields but the header has 4" in problems[6]
    assert _students(course_copy) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("id,first_name,email\nada,Ada,a@example.org\n", "roster.csv line 1: no last name column"),
    ("Student,Given name,Surname\nada,Ada,Okafor\n", "roster.csv line 1: no id column"),
    ("id,username,first_name,last_name\nada,ada,Ada,Okafor\n", "columns 'id' and 'username' both give the id"),
    ("", "roster.csv line 1: no header row"),
    ("id,first_name,last_name\n", "roster.csv: no students below the header"),
])
def test_header_problems(tmp_path, text, expected):
    with pytest.raises(RosterError) as raised:
        read_roster(_file(tmp_path, text))
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = _file(tmp_path, "id,first_name,last_name\nada,Ada,Okafor\ncleo,Cléo,Marchetti\n", encoding="latin-1")
    with pytest.raises(RosterError) as raised:
        read_roster(path)
    [problem] = raised.value.problems
    assert problem.startswith("roster.csv line 3: not UTF-8 (byte 0xe9)")
    assert "CSV UTF-8" in problem


def test_hostile_names_are_kept_as_data_and_printed_escaped(cli_course, tmp_path, capsys):
    course, config = cli_course
    script = "<script>alert(1)</script>"
    path = _file(tmp_path, f'id,first_name,last_name,email\nmal,"{script}","=cmd|\'/c calc\'!A1 \u202eevil",\n')
    assert main(["--config", str(config), "roster", "import", str(path)]) == 0
    assert _students(course)["mal"] == (script, "=cmd|'/c calc'!A1 \u202eevil", None)
    assert main(["--config", str(config), "roster"]) == 0
    listed = capsys.readouterr().out
    assert "\u202e" not in listed and "\\u202eevil" in listed and script in listed


def test_cli_import_prints_one_line_per_problem_and_exits_1(cli_course, tmp_path, capsys):
    course, config = cli_course
    path = _file(tmp_path, "id,first_name,last_name,email\nada,Ada,Okafor,bad\nben,Ben,L,\nada,A,B,\n")
    assert main(["--config", str(config), "roster", "import", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("roster.csv line 2: 'bad' is not an email address")
    assert err[1].startswith("roster.csv line 4: student id 'ada' is already on line 2")
    assert err[2].startswith("nothing imported")
    assert gradebook_roster(course) == []


def test_demo_roster_names_every_demo_student(repo_course):
    from autograder.demo import load_roster

    entries = read_roster(REPO / "autograder" / "demo_class" / "roster.csv")
    assert sorted(e.id for e in entries) == sorted(s.id for s in load_roster(REPO / "autograder" / "demo_class"
                                                                              / "roster.toml"))
    assert all(e.first_name and e.last_name and e.email.endswith("@example.org") for e in entries)


def test_demo_command_imports_the_demo_roster(cli_course, capsys):
    course, config = cli_course
    assert main(["--config", str(config), "demo"]) == 0
    assert _students(course)["cleo"] == ("Cléo", "Marchetti", "cleo.marchetti@example.org")
    assert "demo roster: 5 names" in capsys.readouterr().out
