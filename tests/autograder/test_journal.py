"""The grading journal: latest entry wins, a torn last line is ignored, fingerprints see content."""

from autograder.journal import Entry, Journal, fingerprint


def test_the_latest_entry_per_submission_wins_and_a_torn_line_is_ignored(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record(Entry("ada", "01", "f1", "failed"))
    journal.record(Entry("ada", "01", "f1", "graded", ["a note"]))
    journal.record(Entry("ben", "01", "f2", "graded"))
    with journal.path.open("a") as handle:
        handle.write('{"student": "cleo", "assign')  # the run was killed mid-write
    entries = journal.entries()
    assert set(entries) == {("ada", "01"), ("ben", "01")}
    assert entries[("ada", "01")].status == "graded" and entries[("ada", "01")].notes == ["a note"]
    assert entries[("ada", "01")].finished > 0


def test_a_fingerprint_changes_with_any_file_name_or_byte(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    first = fingerprint(folder)
    (folder / "a.ipynb").write_text("{ }")
    second = fingerprint(folder)
    (folder / "a.ipynb").rename(folder / "b.ipynb")
    assert len({first, second, fingerprint(folder)}) == 3
    assert fingerprint(tmp_path / "absent") == ""
