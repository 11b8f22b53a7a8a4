"""nbgrader for real, on every lesson, in temporary course directories.

The course is laid out by `build_notebooks.py --course DIR`; each lesson then gets a
course directory of its own with a copy of the repository's nbgrader_config.py (its own
gradebook, so that two lessons grade at once); `nbgrader generate_assignment` makes the student
versions; three fake students hand in work and `nbgrader autograde` runs it with the
attention kernel:

* ``perfect``: each student version with the solutions filled back in (taken, by grade
  id, from the source notebooks) → full marks on every graded cell;
* ``blank``: the student versions untouched → 0 on every graded cell;
* ``wrong``: lesson 3 solved perfectly except ``my_attention`` without the 1/√d_k
  scale → loses exactly that exercise's points and keeps the other one's.

Scores come from the gradebook (``nbgrader.api.Gradebook``). Everything runs with the
venv's bin first on PATH (nbgrader calls ``alembic`` from PATH) and cwd = course dir.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from notebook_helpers import BUILDER, LESSONS, ROOT, describe, fill_in, nbgrader, nbgrader_meta, run, solution_sources, venv_tool

STUDENTS = ("perfect", "blank", "wrong")
WRONG_LESSON = 3
WRONG_CELL = "l3-my-attention"  # its test cell is l3-my-attention-test
SCALE = " / sqrt(d_k)"

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(900)]


def assignment(number: int) -> str:
    return f"lesson{number}"


def lesson_number(path) -> int:
    return int(path.name[:2])


NUMBERS = [lesson_number(p) for p in LESSONS]


def graded_points(nb) -> dict[str, float]:
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in nb.cells if nbgrader_meta(c).get("grade")}


@pytest.fixture(scope="module")
def course(tmp_path_factory, venv_env):
    """Every lesson in a course directory of its own after generate_assignment and autograde
    of all submissions. Returns ({lesson number: course dir}, {lesson number: (source nb,
    release nb)}). Each lesson has its own gradebook, so the lessons run two at a time (the
    machine's two cores): nbgrader is a process per step and waits on the kernel."""
    built = tmp_path_factory.mktemp("built")
    proc = run([venv_tool("python"), str(BUILDER), "--course", str(built)], env=venv_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, describe(proc)

    def grade(path) -> tuple[int, Path, tuple]:
        n = lesson_number(path)
        course = tmp_path_factory.mktemp(f"course{n}")
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        src = built / "source" / assignment(n) / path.name
        assert src.exists(), sorted(p.relative_to(built) for p in built.rglob("*.ipynb"))
        shutil.copytree(src.parent, course / "source" / assignment(n))
        nbgrader(course, venv_env, "generate_assignment", assignment(n), "--force")
        release = course / "release" / assignment(n) / path.name
        assert release.exists(), sorted(p.relative_to(course) for p in course.rglob("*.ipynb"))
        source_nb, release_nb = nbformat.read(src, as_version=4), nbformat.read(release, as_version=4)
        solutions = solution_sources(source_nb)
        handed_in = {"perfect": fill_in(release_nb, solutions), "blank": nbformat.from_dict(release_nb)}
        if n == WRONG_LESSON:
            wrong = dict(solutions)
            assert SCALE in wrong[WRONG_CELL], wrong[WRONG_CELL]
            wrong[WRONG_CELL] = wrong[WRONG_CELL].replace(SCALE, "")
            handed_in["wrong"] = fill_in(release_nb, wrong)
        for student, nb in handed_in.items():
            target = course / "submitted" / student / assignment(n) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
        nbgrader(course, venv_env, "autograde", assignment(n), "--force")
        return n, course, (source_nb, release_nb)

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = list(pool.map(grade, LESSONS))
    return {n: c for n, c, _ in graded}, {n: nbs for n, _, nbs in graded}


def scores(course: dict, n: int, student: str) -> dict[str, tuple[float, float]]:
    """grade_id → (score, max_score) from lesson n's gradebook for one student."""
    from nbgrader.api import Gradebook

    name = next(p.stem for p in LESSONS if lesson_number(p) == n)
    with Gradebook(f"sqlite:///{course[n] / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(name, assignment(n), student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


# --- generate_assignment ----------------------------------------------------------------


def test_student_versions(course):
    """Solutions became the stub, hidden tests are gone, graded cells kept their points."""
    _, lessons = course
    assert sorted(lessons) == NUMBERS
    for n, (source_nb, release_nb) in lessons.items():
        text = "\n".join(c.source for c in release_nb.cells)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, n
        assert "HIDDEN TESTS" not in text, n
        stubs = [c for c in release_nb.cells if nbgrader_meta(c).get("solution")]
        assert stubs, n
        for cell in stubs:
            assert "// YOUR CODE HERE" in cell.source and "assert(false" in cell.source, (n, cell.source)
        assert graded_points(release_nb) == graded_points(source_nb), n
        assert all(not c.get("outputs") for c in release_nb.cells if c.cell_type == "code"), n


# --- autograde --------------------------------------------------------------------------


@pytest.mark.parametrize("n", NUMBERS, ids=[f"lesson{n}" for n in NUMBERS])
def test_solutions_get_full_marks(course, n):
    course_dir, lessons = course
    expected = graded_points(lessons[n][0])
    got = scores(course_dir, n, "perfect")
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    assert {k: v[1] for k, v in got.items()} == expected
    assert {k: v[0] for k, v in got.items()} == expected, f"lesson {n}: {got}"


@pytest.mark.parametrize("n", NUMBERS, ids=[f"lesson{n}" for n in NUMBERS])
def test_untouched_student_version_scores_zero(course, n):
    course_dir, lessons = course
    expected = graded_points(lessons[n][0])
    got = scores(course_dir, n, "blank")
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    assert {k: v[0] for k, v in got.items()} == {k: 0.0 for k in expected}, f"lesson {n}: {got}"


def test_missing_scale_loses_exactly_that_exercise(course):
    course_dir, lessons = course
    expected = graded_points(lessons[WRONG_LESSON][0])
    got = scores(course_dir, WRONG_LESSON, "wrong")
    want = dict(expected)
    want[f"{WRONG_CELL}-test"] = 0.0
    assert len(want) >= 2 and any(v > 0 for v in want.values()), want
    assert {k: v[0] for k, v in got.items()} == want, got
