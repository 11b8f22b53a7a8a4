"""notebooks/src/build_notebooks.py as an instructor uses it (no kernel needed): it finds
sources by name, builds them into an assignment and a folder of one's choice, and fails
loudly (exit 2, file and line named, nothing written) on what it cannot build."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from notebook_helpers import BUILDER, ROOT, SOURCES, describe, nbgrader_meta, run

TEMPLATE = ROOT / "notebooks" / "template"

pytestmark = pytest.mark.timeout(120)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDER_MODULE = _load_builder()


def build(env, *args):
    """The builder's main() in this process (the script's own start-up, nbformat's import,
    costs seconds on a busy machine); returns what a subprocess run would."""
    out, err = io.StringIO(), io.StringIO()
    argv = [str(a) for a in args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = BUILDER_MODULE.main(argv)
    return subprocess.CompletedProcess([str(BUILDER), *argv], code, out.getvalue(), err.getvalue())


def test_the_command_line_exits_2_on_a_broken_source(tmp_path, venv_env):
    (tmp_path / "01-broken.md").write_text("%% test ex-a 2\nassert(true)\n")
    proc = run([sys.executable, str(BUILDER), str(tmp_path), "--out", str(tmp_path / "out")], env=venv_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "01-broken.md:1: a test cell must follow its solution cell" in proc.stderr, describe(proc)


def notebooks(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.ipynb"))


def test_a_seventh_lesson_is_discovered(tmp_path, venv_env):
    """A new NN-name.md next to the lessons is built, without editing any list."""
    src = tmp_path / "src"
    shutil.copytree(SOURCES[0].parent, src, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(TEMPLATE / "01-scaled-weights.md", src / "07-my-new-lesson.md")
    out, course = tmp_path / "out", tmp_path / "course"
    proc = build(venv_env, src, "--out", out, "--course", course)
    assert proc.returncode == 0, describe(proc)
    expected = [p.stem + ".ipynb" for p in SOURCES] + ["07-my-new-lesson.ipynb"]
    assert notebooks(out) == sorted(expected)
    assert (course / "source" / "lesson7" / "07-my-new-lesson.ipynb").exists()
    nb = nbformat.read(out / "07-my-new-lesson.ipynb", as_version=4)
    assert nb.cells[0].id == "lesson7-cell000"


def test_assignment_and_output_folder(tmp_path, venv_env):
    out, course = tmp_path / "out", tmp_path / "course"
    proc = build(venv_env, TEMPLATE, "--assignment", "week1", "--out", out, "--course", course)
    assert proc.returncode == 0, describe(proc)
    assert notebooks(out) == ["01-scaled-weights.ipynb"]
    assert notebooks(course) == ["01-scaled-weights.ipynb"]
    assert (course / "source" / "week1" / "01-scaled-weights.ipynb").read_text() == (out / "01-scaled-weights.ipynb").read_text()
    nb = nbformat.read(out / "01-scaled-weights.ipynb", as_version=4)
    assert nb.metadata.kernelspec.language == "attention"
    assert nb.cells[0].id == "week1-01-cell000"
    metas = {nbgrader_meta(c)["grade_id"]: (c.cell_type, nbgrader_meta(c)) for c in nb.cells if nbgrader_meta(c)}
    # A written answer: a graded solution markdown cell (manual grading), unlocked.
    kind, answer = metas["ex-why-scale"]
    assert kind == "markdown" and answer["grade"] and answer["solution"] and not answer["locked"] and answer["points"] == 2
    kind, partial = metas["ex-softmax-test"]
    assert kind == "code" and partial["grade"] and not partial["solution"] and partial["locked"] and partial["points"] == 3
    # Nothing written beside the lessons, and the lessons are still up to date.
    assert build(venv_env, "--check").returncode == 0


def test_other_sources_need_an_output_folder(tmp_path, venv_env):
    proc = build(venv_env, TEMPLATE)
    assert proc.returncode == 2 and "--out DIR" in proc.stderr, describe(proc)


BROKEN = {
    "unknown marker": ("%% md\n# hi\n%% sollution ex-a\nx = 1\n", "02-broken.md:3: unknown cell marker"),
    "test without solution": ("%% md\n# hi\n%% test ex-a 2\nassert(true)\n", "02-broken.md:3: a test cell must follow its solution cell"),
    "test ending on a value": ("%% solution ex-a\n// BEGIN SOLUTION\nlet a = 1\n// END SOLUTION\n%% test ex-a-test 2\na + 1\n",
                               "02-broken.md:5: a test cell must end on assert"),
    "partial without clamp": ("%% solution ex-a\n// BEGIN SOLUTION\nlet a = 1\n// END SOLUTION\n%% test ex-a-test 2 partial\na\n",
                              "02-broken.md:5: a partial-credit test cell must end on `min([max([SCORE, 0]), 2])`"),
    "partial clamped to other points": ("%% solution ex-a\n// BEGIN SOLUTION\nlet a = 1\n// END SOLUTION\n"
                                        "%% test ex-a-test 2 partial\nmin([max([a, 0]), 3])\n",
                                        "02-broken.md:5: the score is clamped to 3, but the cell is worth 2 points"),
    "answer without points": ("%% answer ex-a\nThe answer.\n", "02-broken.md:1: use `%% answer GRADE_ID POINTS`"),
    "points not a number": ("%% answer ex-a two\nThe answer.\n", "points must be a number"),
    "empty cell": ("%% md\n\n%% code\nx = 1\n", "02-broken.md:1: empty md cell"),
    "no cells": ("just words\n", "02-broken.md:1: no cells"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_source_it_cannot_build_fails_loudly(tmp_path, venv_env, case):
    text, message = BROKEN[case]
    src = tmp_path / "src"
    shutil.copytree(TEMPLATE, src)
    (src / "02-broken.md").write_text(text)
    out = tmp_path / "out"
    proc = build(venv_env, src, "--out", out)
    assert proc.returncode == 2 and message in proc.stderr, describe(proc)
    assert not out.exists()  # the good source was not written either


def test_a_misnamed_source_or_an_empty_folder_fails(tmp_path, venv_env):
    src = tmp_path / "src"
    shutil.copytree(TEMPLATE, src)
    (src / "README.md").write_text("notes, ignored")
    (src / "8-forgot-a-digit.md").write_text("%% md\nhi\n")
    proc = build(venv_env, src, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "8-forgot-a-digit.md: not named NN-name.md" in proc.stderr, describe(proc)
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = build(venv_env, empty, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "no NN-name.md sources" in proc.stderr, describe(proc)


def test_the_template_is_valid_json_notebook(tmp_path, venv_env):
    proc = build(venv_env, TEMPLATE, "--out", tmp_path)
    assert proc.returncode == 0, describe(proc)
    data = json.loads((tmp_path / "01-scaled-weights.ipynb").read_text())
    nbformat.validate(nbformat.from_dict(data))


def test_a_file_the_notebook_loads_goes_with_it(tmp_path, venv_env):
    """`load("w.safetensors")` of a file beside the source (a model shipped pre-trained):
    the file is copied next to the notebook and into the course's assignment (nbgrader
    releases it and copies it back over every submission), and --check notices a stale copy.
    A name the source only saves and loads again, with no such file beside it, is left alone."""
    src, out, course = tmp_path / "src", tmp_path / "out", tmp_path / "course"
    src.mkdir()
    (src / "01-uses-a-model.md").write_text(
        '%% code\nlet m = load("w.safetensors")\nsave(m, "mine.safetensors")\nload("mine.safetensors")\n')
    (src / "w.safetensors").write_bytes(b"weights v1")
    proc = build(venv_env, src, "--assignment", "week2", "--out", out, "--course", course)
    assert proc.returncode == 0, describe(proc)
    assert (out / "w.safetensors").read_bytes() == b"weights v1"
    assert (course / "source" / "week2" / "w.safetensors").read_bytes() == b"weights v1"
    assert not (out / "mine.safetensors").exists()
    assert build(venv_env, src, "--assignment", "week2", "--out", out, "--check").returncode == 0
    (src / "w.safetensors").write_bytes(b"weights v2")
    proc = build(venv_env, src, "--assignment", "week2", "--out", out, "--check")
    assert proc.returncode == 1 and "w.safetensors" in proc.stderr, describe(proc)
