"""An instructor's whole workflow, from the template exercise (docs/INSTRUCTORS.md):

1. copy `notebooks/template/` to an own folder, `make course DIR=... SRC=... ASSIGNMENT=week1`;
2. `nbgrader validate` on the source (passes), `generate_assignment`, `nbgrader validate
   --invert` on the release (every test fails);
3. students hand in work; `nbgrader autograde`:

   ============  ===========================================  ======================
   student       what they did                                grade (of 7), as the guide says
   ============  ===========================================  ======================
   right         the solutions, a written answer              2 + 3 + 2 (by hand) = 7
   wrong         no 1/√d_k; exp(S) without dividing; answer   0 + 1 (partial) + 0 (by hand) = 1
   blank         nothing                                      0 (the untouched answer: 0 automatically)
   print100k     right, plus 100,000 prints                   5 (answer untouched)
   print30k      right, plus 30,000 prints                    5
   print200k     right, plus 200,000 prints                   5
   forever       right, but scaled_weights loops forever      0 + 3: the test cell times out,
                                                              is interrupted; the rest runs
   warns         right, but scaled_weights calls warn()       0 + 3: stderr in a test cell is 0
   ============  ===========================================  ======================

4. the written answers are graded by hand (the gradebook's manual score, as the
   formgrader sets it); `generate_feedback` (hidden tests shown; stripped with the
   configuration in the guide); `nbgrader export` → grades.csv with those scores.

The looping student is autograded on its own with `--Execute.timeout=3`, so the time-out
costs seconds, not the course's 30 s.
"""
from __future__ import annotations

import csv
import html
import re
import shutil

import nbformat
import pytest

from notebook_helpers import ROOT, describe, fill_in, nbgrader, nbgrader_meta, run, solution_sources


pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(900)]

ASSIGNMENT = "week1"
NOTEBOOK = "01-scaled-weights"
TEMPLATE = ROOT / "notebooks" / "template"
WEIGHTS, SOFTMAX, ANSWER = "ex-weights", "ex-softmax", "ex-why-scale"
WEIGHTS_TEST, SOFTMAX_TEST = "ex-weights-test", "ex-softmax-test"
POINTS = {WEIGHTS_TEST: 2.0, SOFTMAX_TEST: 3.0, ANSWER: 2.0}
TIMEOUT_FOR_FOREVER = 3

# grade id -> score after autograde (None: waits for the instructor) and after grading by hand
EXPECTED = {
    "right": {WEIGHTS_TEST: 2, SOFTMAX_TEST: 3, ANSWER: None},
    "wrong": {WEIGHTS_TEST: 0, SOFTMAX_TEST: 1, ANSWER: None},
    "blank": {WEIGHTS_TEST: 0, SOFTMAX_TEST: 0, ANSWER: 0},
    "print100k": {WEIGHTS_TEST: 2, SOFTMAX_TEST: 3, ANSWER: 0},
    "print30k": {WEIGHTS_TEST: 2, SOFTMAX_TEST: 3, ANSWER: 0},
    "print200k": {WEIGHTS_TEST: 2, SOFTMAX_TEST: 3, ANSWER: 0},
    "forever": {WEIGHTS_TEST: 0, SOFTMAX_TEST: 3, ANSWER: 0},
    "warns": {WEIGHTS_TEST: 0, SOFTMAX_TEST: 3, ANSWER: 0},
}
BY_HAND = {"right": 2.0, "wrong": 0.0}
TOTALS = {"right": 7, "wrong": 1, "blank": 0, "print100k": 5, "print30k": 5, "print200k": 5, "forever": 3, "warns": 3}
HIDDEN_TEST_LINE = "let Qh = randn(3, 5, seed: 11)"
STRIP_HIDDEN_TESTS = """
# From docs/INSTRUCTORS.md: feedback without the hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
"""


def submissions(release_nb, source_nb) -> dict[str, nbformat.NotebookNode]:
    right = solution_sources(source_nb)
    answer = "The scores grow with d_k, so the softmax saturates; the scale keeps their variance near 1."
    weights = right[WEIGHTS]
    assert "/ sqrt(d_k)" in weights and "return softmax(" in weights, weights

    def with_answer(nb, text):
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == ANSWER:
                cell.source = text
        return nb

    def prints(n):
        return dict(right, **{WEIGHTS: weights + f"\nfor i in 0..<{n} {{ print(i) }}"})

    wrong = dict(right, **{WEIGHTS: weights.replace(" / sqrt(d_k)", ""),
                           SOFTMAX: "func row_softmax(S) {\n    return exp(S)\n}"})
    return {
        "right": with_answer(fill_in(release_nb, right), answer),
        "wrong": with_answer(fill_in(release_nb, wrong), "Because it is faster."),
        "blank": nbformat.from_dict(release_nb),
        "print100k": fill_in(release_nb, prints(100_000)),
        "print30k": fill_in(release_nb, prints(30_000)),
        "print200k": fill_in(release_nb, prints(200_000)),
        "forever": fill_in(release_nb, dict(right, **{WEIGHTS: weights.replace("    let d_k", "    while true { }\n    let d_k")})),
        "warns": fill_in(release_nb, dict(right, **{WEIGHTS: weights.replace("    let d_k", '    warn("computing the weights")\n    let d_k')})),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory, venv_env):
    """Everything up to the export; returns the course dir and the command outputs."""
    home = tmp_path_factory.mktemp("instructor")
    sources, course = home / "my-exercises", home / "my-course"
    shutil.copytree(TEMPLATE, sources)
    logs = {}
    # -o setup: the venv is there already (make test made it); the rest is the real target.
    proc = run(["make", "-o", "setup", "course", f"DIR={course}", f"SRC={sources}", f"ASSIGNMENT={ASSIGNMENT}"],
               env=venv_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, describe(proc)
    for folder in ("source", "release", "submitted", "autograded", "feedback"):
        assert (course / folder).is_dir(), folder
    assert (course / "nbgrader_config.py").read_text() == (ROOT / "nbgrader_config.py").read_text()
    source = course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

    logs["validate"] = nbgrader(course, venv_env, "validate", str(source))
    nbgrader(course, venv_env, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    logs["validate_invert"] = nbgrader(course, venv_env, "validate", "--invert", str(release))

    source_nb, release_nb = nbformat.read(source, as_version=4), nbformat.read(release, as_version=4)
    handed_in = submissions(release_nb, source_nb)
    for student, nb in handed_in.items():
        if student == "forever":
            continue  # graded apart below, with a short time-out
        target = course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    logs["autograde"] = nbgrader(course, venv_env, "autograde", ASSIGNMENT)
    target = course / "submitted" / "forever" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(handed_in["forever"], target)
    logs["autograde_forever"] = nbgrader(course, venv_env, "autograde", ASSIGNMENT, "--student", "forever",
                                         f"--Execute.timeout={TIMEOUT_FOR_FOREVER}")
    logs["after_autograde"] = scores(course)

    # The written answers, graded by hand (what the formgrader's score box stores).
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, points in BY_HAND.items():
            grade = gb.find_grade(ANSWER, NOTEBOOK, ASSIGNMENT, student)
            grade.manual_score = points
        gb.db.commit()

    logs["feedback"] = nbgrader(course, venv_env, "generate_feedback", ASSIGNMENT)
    logs["feedback_right_default"] = feedback_html(course, "right")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(STRIP_HIDDEN_TESTS)
    nbgrader(course, venv_env, "generate_feedback", ASSIGNMENT, "--student", "right", "--force")
    logs["feedback_right_stripped"] = feedback_html(course, "right")
    nbgrader(course, venv_env, "export")
    with open(course / "grades.csv", newline="") as f:
        logs["export"] = {row["student_id"]: row for row in csv.DictReader(f)}
    return course, logs


def scores(course) -> dict[str, dict[str, tuple[float | None, bool]]]:
    """student → grade id → (score, needs manual grade), from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in EXPECTED:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            out[student] = {g.name: (g.score if g.auto_score is not None or g.manual_score is not None else None,
                                     g.needs_manual_grade) for g in nb.grades}
    return out


def feedback_html(course, student) -> str:
    """The feedback page's text (the code is highlighted: tags between the tokens)."""
    page = (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_author_checks_pass(course):
    _, logs = course
    assert "Success! Your notebook passes all the tests." in logs["validate"].stdout, describe(logs["validate"])
    assert "Success! The notebook does not pass any tests." in logs["validate_invert"].stdout, \
        describe(logs["validate_invert"])


def test_hidden_tests_give_the_harmless_checksum_warning(course):
    """The guide's "harmless warning": the student's copy of a test cell lacks the hidden
    lines, so nbgrader reports its checksum and puts the source's cell back."""
    _, logs = course
    log = logs["autograde"].stdout + logs["autograde"].stderr
    assert f"Attribute 'checksum' for cell {WEIGHTS_TEST} has changed" in log, log[-3000:]
    assert f"for cell {SOFTMAX_TEST} has changed" not in log  # no hidden tests there


def test_release_hides_solutions_answers_and_hidden_tests(course):
    course_dir, _ = course
    nb = nbformat.read(course_dir / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and HIDDEN_TEST_LINE not in text and "softmax saturates" not in text
    answer = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == ANSWER)
    assert answer.cell_type == "markdown" and answer.source == "YOUR ANSWER HERE"
    points = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells if nbgrader_meta(c).get("grade")}
    assert points == POINTS


@pytest.mark.parametrize("student", list(EXPECTED))
def test_autograde_scores_as_the_guide_says(course, student):
    _, logs = course
    got = logs["after_autograde"][student]
    assert {k: v[0] for k, v in got.items()} == EXPECTED[student], got
    # A written answer waits for the instructor unless it was left untouched.
    assert got[ANSWER][1] == (EXPECTED[student][ANSWER] is None), got


def test_print_floods_are_graded_normally_with_few_outputs(course):
    course_dir, _ = course
    for student, n in (("print30k", 30_000), ("print100k", 100_000), ("print200k", 200_000)):
        nb = nbformat.read(course_dir / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == WEIGHTS)
        streams = [o for o in cell.outputs if o.output_type == "stream"]
        assert 1 <= len(streams) <= 5 and all(o.name == "stdout" for o in streams), (student, len(streams))
        text = "".join(o.text for o in streams)
        # nbgrader keeps the first 1,000 lines of a cell's output in the autograded copy
        # (its LimitOutput preprocessor, any kernel): 999 lines and its own marker.
        assert text.splitlines()[:999] == [str(i) for i in range(999)], (student, text[:200])
        assert text.endswith("... Output truncated ..."), (student, text[-200:])


def test_the_looping_student_timed_out_in_the_test_cell_and_the_rest_ran(course):
    course_dir, logs = course
    nb = nbformat.read(course_dir / "autograded" / "forever" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    test = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == WEIGHTS_TEST)
    errors = [o for o in test.outputs if o.output_type == "error"]
    # The kernel's own error for the interrupt, then nbgrader's record of the time-out.
    assert [e.ename for e in errors] == ["Interrupted", "CellTimeoutError"], test.outputs
    later = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == SOFTMAX_TEST)
    assert [o.output_type for o in later.outputs] == ["execute_result"] and later.outputs[0].data["text/plain"] == "3"
    log = logs["autograde_forever"].stdout + logs["autograde_forever"].stderr
    assert "Timeout" in log or "timed out" in log.lower(), log[-3000:]


def test_the_warning_student_has_stderr_in_the_test_cell(course):
    course_dir, _ = course
    nb = nbformat.read(course_dir / "autograded" / "warns" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    test = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == WEIGHTS_TEST)
    assert [(o.output_type, o.get("name")) for o in test.outputs] == [("stream", "stderr")] * len(test.outputs)
    assert "computing the weights" in "".join(o.text for o in test.outputs)
    assert not [o for o in test.outputs if o.output_type == "error"]  # it passed, and still scores 0


def test_feedback_shows_hidden_tests_unless_stripped(course):
    course_dir, logs = course
    for student in EXPECTED:
        assert (course_dir / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").exists(), student
    assert HIDDEN_TEST_LINE in logs["feedback_right_default"]
    assert HIDDEN_TEST_LINE not in logs["feedback_right_stripped"]
    assert "expect_shape(scaled_weights(Q, K), [6, 6])" in logs["feedback_right_stripped"]


def test_export_has_every_grade_as_the_guide_says(course):
    _, logs = course
    exported = logs["export"]
    assert set(exported) == set(EXPECTED)
    for student, total in TOTALS.items():
        row = exported[student]
        assert float(row["max_score"]) == sum(POINTS.values()), row
        assert float(row["score"]) == total, (student, row)
