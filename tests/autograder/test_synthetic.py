"""The synthetic class: exercises, draws, couplings, missing work, determinism, and grading against the demo class."""

import filecmp
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from autograder.cli import main
from autograder.demo import answer_file_sources, solution_sources
from autograder.grading import grade_submissions
from autograder.insights import write_insights
from autograder.release import release
from autograder.report import exercise_scores
from autograder.synthetic import (
    DEFAULT_WEIGHTS,
    MISSING,
    build_synthetic_class,
    ground_truth_path,
    load_couplings,
    notebook_exercises,
    plan_class,
    student_ids,
    undeclared_reads,
)

DEMO = Path(__file__).resolve().parents[2] / "autograder" / "demo_class"
GOLDEN = Path(__file__).parent / "golden" / "demo-exercise-scores.csv"


@pytest.fixture(scope="module")
def plan(repo_course):
    """A class of 300 drawn over all seven lessons with the default mix (nothing written)."""
    return plan_class(repo_course, DEMO, students=300, seed=0)


def _submissions(plan: pd.DataFrame) -> pd.DataFrame:
    """One row per student and assignment: whether it was handed in and how many variants it mixes."""
    return plan.groupby(["student", "assignment"]).agg(
        missing=("variant", lambda v: (v == MISSING).all()), variants=("variant", "nunique"))


def test_every_lesson_splits_into_numbered_exercises_that_cover_every_solution_cell(repo_course):
    for assignment in repo_course.assignments():
        for notebook in repo_course.source_notebooks(assignment):
            exercises = notebook_exercises(notebook)
            tests = [e.test for e in exercises]
            assert len(tests) >= 5 and tests == [f"ex{k}-tests" for k in range(1, len(tests) + 1)], notebook
            assert all(len(e.solutions) == 1 and e.solutions[0].startswith(e.test[:4]) for e in exercises), notebook


def test_a_solution_cell_after_the_last_test_cell_is_refused(repo_course, tmp_path):
    notebook = nbformat.read(repo_course.source_notebooks("01-tensors")[0], as_version=4)
    extra = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"solution": True, "grade": False,
                                                                      "grade_id": "late", "locked": False}})
    notebook.cells.append(extra)
    nbformat.write(notebook, tmp_path / "late.ipynb")
    with pytest.raises(ValueError, match=r"solution cells \['late'\] come after the last graded test cell"):
        notebook_exercises(tmp_path / "late.ipynb")


def test_the_mix_follows_the_weights(plan):
    handed_in = plan[plan["variant"] != MISSING]
    shares = handed_in["variant"].value_counts(normalize=True)
    for variant, weight in DEFAULT_WEIGHTS.items():
        assert shares[variant] == pytest.approx(weight / sum(DEFAULT_WEIGHTS.values()), abs=0.03), variant


def test_other_weights_draw_only_the_students_named(repo_course):
    plan = plan_class(repo_course, DEMO, students=200, seed=1, assignments=["01-tensors", "07-double-descent"],
                      weights={"ada": 1.0, "dev": 1.0}, missing=0.0, concentration=None)
    shares = plan["variant"].value_counts(normalize=True)
    assert set(shares.index) == {"ada", "dev"}
    assert shares["ada"] == pytest.approx(0.5, abs=0.05)


def test_weights_must_name_demo_students(repo_course):
    with pytest.raises(ValueError, match="weights must give"):
        plan_class(repo_course, DEMO, students=3, weights={"zoe": 1.0})


def test_students_mix_variants_within_a_notebook_and_differ_from_each_other(plan):
    submissions = _submissions(plan)
    handed_in = submissions[~submissions["missing"]]
    assert (handed_in["variants"] >= 2).mean() > 0.6
    ada_share = (plan[plan["variant"] != MISSING].assign(ada=lambda f: f["variant"] == "ada")
                 .groupby("student")["ada"].mean())
    assert ada_share.quantile(0.9) - ada_share.quantile(0.1) > 0.3  # strong and weak students, as in a real class


def test_some_work_is_missing_and_missing_means_the_whole_submission(plan):
    submissions = _submissions(plan)
    assert submissions["missing"].mean() == pytest.approx(0.05, abs=0.015)
    partly = plan.groupby(["student", "assignment"])["variant"].agg(lambda v: 0 < (v == MISSING).sum() < len(v))
    assert not partly.any()


def test_couplings_are_kept_and_still_leave_room_to_mix(plan):
    couplings = load_couplings(DEMO / "couplings.toml")
    assert couplings
    chosen = plan.pivot_table(index=["student", "assignment"], columns="exercise", values="variant", aggfunc="first")
    for coupling in couplings:
        rows = chosen.xs(coupling.assignment, level="assignment")
        users = rows[rows[coupling.exercise].isin(coupling.variants)]
        assert users[coupling.needs].isin(coupling.needs_variants).all(), coupling
        assert rows[coupling.exercise].isin(coupling.variants).any()
        assert (~rows[coupling.needs].isin(coupling.needs_variants)).any()
    lesson6 = chosen.xs("06-initialisation", level="assignment")
    blank_first = lesson6[lesson6["ex1-tests"] == "cleo"]
    assert len(blank_first) > 0 and (blank_first["ex2-tests"] == "cleo").all()
    assert (lesson6["ex4-tests"] != lesson6["ex1-tests"]).any()  # exercises 4 and 5 stay free


def test_reading_finds_every_cross_exercise_use_and_the_couplings_declare_them(repo_course):
    found = {assignment: undeclared_reads(repo_course, DEMO, assignment, [])
             for assignment in repo_course.assignments()}
    assert {assignment for assignment, problems in found.items() if problems} == {"03-softmax-regression", "04-mlp",
                                                                                "06-initialisation"}
    assert found["03-softmax-regression"] == ["03-softmax-regression ex2-tests (ben) reads ['softmax'], which "
                                              "ex1-tests defines: declare a coupling"]
    assert len(found["06-initialisation"]) == 7  # exercise 2 in four variants, exercise 3 in three
    assert len(found["04-mlp"]) == 5  # exercise 6's check calls exercise 3's linear_backward in every variant
    couplings = load_couplings(DEMO / "couplings.toml")
    assert all(not undeclared_reads(repo_course, DEMO, assignment, couplings)
               for assignment in repo_course.assignments())


def test_a_class_is_refused_when_a_coupling_is_missing(course_copy):
    (course_copy.root / "autograder" / "demo_class" / "couplings.toml").unlink()
    with pytest.raises(ValueError, match=r"06-initialisation ex2-tests \(ada\) reads \['fans', 'normal', 'uniform'\]"):
        build_synthetic_class(course_copy, course_copy.root / "autograder" / "demo_class", students=2)
    assert not course_copy.folder("submitted").exists()


def test_draws_depend_only_on_seed_student_and_assignment(repo_course, plan):
    small = plan_class(repo_course, DEMO, students=20, seed=0, assignments=["05-xor"])
    same = plan[plan["student"].isin(student_ids(20)) & (plan["assignment"] == "05-xor")].reset_index(drop=True)
    pd.testing.assert_frame_equal(small, same)
    other_seed = plan_class(repo_course, DEMO, students=20, seed=1, assignments=["05-xor"])
    assert not other_seed["variant"].equals(small["variant"])


def test_the_same_seed_writes_byte_identical_notebooks(course_copier, tmp_path):
    demo = Path("autograder") / "demo_class"
    first, second = course_copier(tmp_path / "first"), course_copier(tmp_path / "second")
    truths = [build_synthetic_class(course, course.root / demo, students=6, seed=3,
                                    assignments=["01-tensors", "06-initialisation"], missing=0.2)
              for course in (first, second)]
    pd.testing.assert_frame_equal(*truths)
    pd.testing.assert_frame_equal(pd.read_csv(ground_truth_path(first)), truths[0])
    written = sorted(p.relative_to(first.folder("submitted")) for p in first.folder("submitted").rglob("*.ipynb"))
    handed_in = truths[0][truths[0]["variant"] != MISSING].drop_duplicates(["student", "assignment"])
    assert len(written) == len(handed_in) > 0
    assert len(handed_in) < 12  # missing=0.2 left some out; their folders are not written
    match, mismatch, errors = filecmp.cmpfiles(first.folder("submitted"), second.folder("submitted"), written,
                                               shallow=False)
    assert (len(match), mismatch, errors) == (len(written), [], [])


def test_a_notebook_holds_each_exercise_in_its_variant(course_copy):
    demo = course_copy.root / "autograder" / "demo_class"
    truth = build_synthetic_class(course_copy, demo, students=8, seed=5, assignments=["04-mlp"], missing=0.0)
    assert truth.groupby("student")["variant"].nunique().max() > 1
    sources = {"ada": solution_sources(course_copy.source_notebooks("04-mlp")[0]),
               **{v: answer_file_sources(demo / "04-mlp" / f"{v}.py") for v in ("ben", "dev", "eve")}}
    solutions = {e.test: e.solutions[0] for e in notebook_exercises(course_copy.source_notebooks("04-mlp")[0])}
    for row in truth.itertuples():
        notebook = nbformat.read(course_copy.folder("submitted") / row.student / "04-mlp" / "mlp.ipynb", as_version=4)
        answer = next(c.source for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") == solutions[row.exercise])
        if row.variant == "cleo":
            assert "raise NotImplementedError()" in answer
        else:
            assert answer == sources[row.variant][solutions[row.exercise]].rstrip("\n")


def test_the_command_line_writes_a_class(course_copy, capsys):
    config = course_copy.root / "nbgrader_config.py"
    config.write_text(f"c = get_config()\nload_subconfig({str(DEMO.parent / 'nbgrader_config.py')!r})\n"
                      f"c.CourseDirectory.root = {str(course_copy.root)!r}\n"
                      f"c.CourseDirectory.db_url = {course_copy.coursedir.db_url!r}\n")
    assert main(["--config", str(config), "synthetic", "--students", "4", "--seed", "2", "--missing", "0",
                 "--weight", "ben=0", "02-linear-regression"]) == 0
    out = capsys.readouterr().out
    assert "synthetic class: 4 submissions from 4 students (0 not handed in)" in out
    truth = pd.read_csv(ground_truth_path(course_copy))
    assert len(truth) == 20 and "ben" not in set(truth["variant"])
    assert sorted(p.parent.parent.name for p in course_copy.folder("submitted").rglob("*.ipynb")) == student_ids(4)


def test_a_graded_synthetic_class_scores_and_is_reported_as_its_ground_truth_says(course_copy, tmp_path):
    """Each exercise of each synthetic student scores exactly what its variant's demo student scored on it,
    and the class report counts each mistake, pass and blank exactly as the ground truth implies."""
    release(course_copy, ["01-tensors"])
    demo = course_copy.root / "autograder" / "demo_class"
    truth = build_synthetic_class(course_copy, demo, students=12, seed=0, assignments=["01-tensors"], missing=0.1)
    handed_in = truth[truth["variant"] != MISSING]
    assert set(handed_in["variant"]) == set(DEFAULT_WEIGHTS)  # every variant is in the class
    pairs = sorted(set(zip(handed_in["student"], handed_in["assignment"], strict=True)))
    outcomes = grade_submissions(course_copy, pairs, progress=False, workers=2)
    assert {o.status for o in outcomes} == {"graded"}
    golden = pd.read_csv(GOLDEN).rename(columns={"student": "variant"})
    expected = handed_in.merge(golden, on=["variant", "assignment", "notebook", "exercise"], validate="many_to_one")
    actual = exercise_scores(course_copy)
    merged = expected.merge(actual, on=["student", "assignment", "notebook", "exercise"], suffixes=("_golden", ""))
    assert len(merged) == len(handed_in)
    assert merged["score"].tolist() == merged["score_golden"].tolist()

    outcomes_golden = pd.read_csv(GOLDEN.parent / "demo-outcomes.csv", keep_default_na=False)
    truth_outcomes = handed_in.merge(outcomes_golden.rename(columns={"student": "variant"}),
                                     on=["variant", "assignment", "exercise"], validate="many_to_one")
    paths = write_insights(course_copy, tmp_path / "insights")
    reported = pd.read_csv(paths["misconceptions"]).set_index(["assignment", "exercise", "misconception"])["count"]
    failed = truth_outcomes[truth_outcomes["misconception"] != ""]
    expected_counts = failed.groupby(["assignment", "exercise", "misconception"]).size()
    assert reported.sort_index().to_dict() == expected_counts.to_dict()
    exercises = pd.read_csv(paths["exercises"]).set_index(["assignment", "exercise"])
    by_exercise = truth_outcomes.groupby(["assignment", "exercise"])
    assert exercises["submitted"].to_dict() == by_exercise.size().to_dict()
    assert exercises["passed"].to_dict() == by_exercise["outcome"].apply(lambda o: int((o == "passed").sum())).to_dict()
    blank = by_exercise["misconception"].apply(lambda m: int((m == "not-attempted").sum()))
    assert exercises["not_attempted"].to_dict() == blank.to_dict()
    assert pd.read_csv(paths["incidents"]).empty
