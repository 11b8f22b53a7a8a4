"""The lesson notebooks in notebooks/ (one per source notebooks/src/NN-name.md): committed clean and up to date with their
sources, executed headless with `jupyter nbconvert --execute` without a single error,
and exported to HTML with their heatmaps rendered (what `make html` produces)."""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from conftest import LANGUAGE
from notebook_helpers import (
    BUILDER,
    LESSONS,
    NOTEBOOK_DIR,
    ROOT,
    SOURCES,
    count_output_heatmaps,
    describe,
    display_calls,
    run,
    venv_tool,
)

# nbconvert runs a whole lesson; the kernel is quick, but give a slow CI machine room
NOTEBOOK_TIMEOUT = int(os.environ.get("ATTENTION_NOTEBOOK_TIMEOUT", "300"))

lesson_ids = [p.stem for p in LESSONS]


def test_one_notebook_per_source():
    """Every source has its notebook and every notebook its source (a notebook whose
    source was deleted, or a source never built, fails here)."""
    assert SOURCES, "no notebooks/src/NN-name.md sources"
    notebooks = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))
    assert notebooks == [p.name for p in LESSONS], (notebooks, [p.name for p in SOURCES])


# --- the committed notebooks ------------------------------------------------------------


@pytest.mark.parametrize("path", LESSONS, ids=lesson_ids)
def test_committed_without_outputs(path):
    """Committed notebooks carry no outputs and no execution counts (the builder writes
    none; a notebook saved from JupyterLab and committed by mistake fails here)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        (cell.get("id"), len(cell.outputs), cell.execution_count)
        for cell in nb.cells
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells with outputs or execution counts (id, #outputs, count): {dirty}"
    spec = nb.metadata.get("kernelspec", {})
    assert spec.get("name") == "attention" and spec.get("language") == LANGUAGE, spec


def test_notebooks_match_their_sources(venv_env):
    proc = run([sys.executable, str(BUILDER), "--check"], env=venv_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, describe(proc)


# --- headless execution -----------------------------------------------------------------


def problems(nb) -> list[str]:
    """Every error output and stderr stream of an executed notebook, with its cell."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {index} ({cell.get('id')}): {out.ename}: {out.evalue}\n--- code\n{cell.source}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {index} ({cell.get('id')}): stderr: {out.text!r}\n--- code\n{cell.source}")
    return found


@pytest.mark.timeout(NOTEBOOK_TIMEOUT + 60)
@pytest.mark.parametrize("path", LESSONS, ids=lesson_ids)
def test_lesson_executes_headless(path, executed_lessons, attention_kernelspec):
    proc, out = executed_lessons.get(path)
    assert proc.returncode == 0, describe(proc)
    nb = nbformat.read(out, as_version=4)
    found = problems(nb)
    assert not found, f"{path.name}:\n" + "\n\n".join(found)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), counts
    assert nb.metadata.get("language_info", {}).get("name") == LANGUAGE, nb.metadata
    results = [o for c in code for o in c.outputs if o.output_type in ("execute_result", "display_data")]
    assert results, f"{path.name} displayed nothing"
    assert all("text/plain" in o.data for o in results), [sorted(o.data) for o in results]


# --- HTML export (make html) ------------------------------------------------------------


def test_makefile_has_html_target(venv_env):
    """`make html` exports every lesson, executed, into build-html/ (git-ignored)."""
    proc = run(["make", "-n", "html"], env=venv_env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert "nbconvert --to html --execute" in proc.stdout, proc.stdout
    assert "build-html" in proc.stdout, proc.stdout
    ignored = subprocess.run(["git", "check-ignore", "-q", "build-html/x.html"], cwd=ROOT)
    assert ignored.returncode == 0, "build-html/ must be git-ignored"


@pytest.mark.timeout(NOTEBOOK_TIMEOUT + 60)
@pytest.mark.parametrize("path", LESSONS, ids=lesson_ids)
def test_lesson_html_has_heatmaps(path, tmp_path, venv_env, executed_lessons, attention_kernelspec):
    """What `make html` writes (`nbconvert --to html --execute`), in two steps: the lesson
    executed once for the whole run, then exported to HTML. The HTML holds one heatmap table
    (cells with inline colours and "query → key: value" tooltips) per heatmap/heads call,
    and no SVG (untrusted viewers drop it)."""
    executed_proc, executed = executed_lessons.get(path)
    assert executed_proc.returncode == 0, describe(executed_proc)
    proc = run(
        [venv_tool("jupyter"), "nbconvert", "--to", "html", "--output-dir", str(tmp_path), str(executed)],
        env=venv_env, cwd=tmp_path, timeout=NOTEBOOK_TIMEOUT,
    )
    assert proc.returncode == 0, describe(proc)
    html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    expected = display_calls(nbformat.read(path, as_version=4))
    assert expected >= 1, f"{path.name} calls heatmap/heads nowhere"
    found = count_output_heatmaps(html)
    assert found.tables >= expected, f"{path.name}: {found.tables} heatmap tables in outputs, {expected} heatmap/heads calls"
    assert found.coloured_cells >= expected, found.coloured_cells
    assert found.titled_cells >= expected, "heatmap cells should carry title tooltips"
    assert found.svgs == 0, f"{path.name}: {found.svgs} <svg> in outputs"
    assert not found.error_outputs, found.error_outputs
