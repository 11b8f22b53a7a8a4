"""Headless runs: `jupyter nbconvert --execute` on small notebooks for the attention kernel,
as CI and students' scripts run them (the venv's bin first on PATH)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import DISPLAY_NAME, KERNEL_NAME, LANGUAGE, VENV_BIN

pytestmark = pytest.mark.usefixtures("attention_kernelspec")

# (code, must produce an execute_result) for the happy-path notebook
GOOD_CELLS = {
    "attention": ['let A = [1, 2; 3, 4]', 'print("hello")', "A @ A", "softmax(A)", "1 + 2"],
    "python3": ["A = [[1, 2], [3, 4]]", 'print("hello")', "A", "len(A)", "1 + 2"],
}[KERNEL_NAME]


def make_notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": DISPLAY_NAME, "language": LANGUAGE}
    nb.cells = [new_code_cell(c) for c in cells]
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def nbconvert(venv_env, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    jupyter = VENV_BIN / "jupyter"
    cmd = [str(jupyter) if jupyter.exists() else "jupyter", "nbconvert", *args]
    return subprocess.run(cmd, env=venv_env, capture_output=True, text=True, timeout=timeout)


def outputs(nb) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def test_execute_notebook(tmp_path, venv_env):
    src = make_notebook(tmp_path / "good.ipynb", GOOD_CELLS)
    proc = nbconvert(venv_env, "--to", "notebook", "--execute", str(src), "--output", "good.out.ipynb")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "good.out.ipynb", as_version=4)
    outs = outputs(nb)
    results = [o for o in outs if o.output_type == "execute_result"]
    assert results, outs
    assert results[-1].data["text/plain"] == "3"
    assert any(o.output_type == "stream" and o.name == "stdout" and "hello" in o.text for o in outs), outs
    assert not [o for o in outs if o.output_type == "error"]
    assert not [o for o in outs if o.output_type == "stream" and o.name == "stderr"]
    counts = [c.execution_count for c in nb.cells]
    assert counts == list(range(1, len(GOOD_CELLS) + 1)), counts
    info = nb.metadata.get("language_info", {})
    if KERNEL_NAME == "attention":
        assert info.get("name") == "attention", info
        assert info.get("file_extension") == ".attn", info
        matrix = results[0]
        assert "application/vnd.attention.matrix+json" in matrix.data, matrix.data
        assert matrix.data["application/vnd.attention.matrix+json"] == {"shape": [2, 2], "data": [[7, 10], [15, 22]]}


def test_script_export_uses_file_extension(tmp_path, venv_env):
    """`--to script` reads language_info (copied in by an execution) for the extension."""
    src = make_notebook(tmp_path / "lesson.ipynb", GOOD_CELLS[:2])
    proc = nbconvert(venv_env, "--to", "notebook", "--execute", "--inplace", str(src))
    assert proc.returncode == 0, proc.stderr
    info = nbformat.read(src, as_version=4).metadata.get("language_info", {})
    if KERNEL_NAME == "attention":
        # nbconvert hands the export to language_info.nbconvert_exporter when it is set:
        # it must be "script" (or absent), not a name nbconvert does not know
        assert info.get("nbconvert_exporter", "script") == "script", info
    proc = nbconvert(venv_env, "--to", "script", str(src))
    assert proc.returncode == 0, proc.stderr
    expected = ".attn" if KERNEL_NAME == "attention" else ".py"
    script = tmp_path / f"lesson{expected}"
    assert script.exists(), sorted(p.name for p in tmp_path.iterdir())
    assert GOOD_CELLS[0] in script.read_text()


def test_error_cell_fails_the_run(tmp_path, venv_env):
    src = make_notebook(tmp_path / "bad.ipynb", ["1 + 1", "undefined_name_xyz", "2 + 2"])
    proc = nbconvert(venv_env, "--to", "notebook", "--execute", str(src), "--output", "bad.out.ipynb")
    assert proc.returncode != 0
    assert "NameError" in proc.stderr, proc.stderr
    assert "undefined_name_xyz" in proc.stderr, proc.stderr


def test_allow_errors_records_the_error(tmp_path, venv_env):
    src = make_notebook(tmp_path / "bad.ipynb", ["1 + 1", "undefined_name_xyz", "2 + 2"])
    proc = nbconvert(venv_env, "--to", "notebook", "--execute", "--allow-errors", str(src),
                     "--output", "bad.out.ipynb")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "bad.out.ipynb", as_version=4)
    errors = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "NameError", nb.cells[1].outputs
    assert not [o for o in nb.cells[1].outputs if o.output_type == "stream" and o.name == "stderr"]
    last = [o for o in nb.cells[2].outputs if o.output_type == "execute_result"]
    assert last and last[0].data["text/plain"] == "4", nb.cells[2].outputs


def test_raises_exception_tag_and_skip_execution(tmp_path, venv_env):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": DISPLAY_NAME, "language": LANGUAGE}
    nb.cells = [
        new_code_cell("undefined_name_xyz", metadata={"tags": ["raises-exception"]}),
        new_code_cell("undefined_name_abc", metadata={"tags": ["skip-execution"]}),
        new_code_cell("1 + 2"),
    ]
    src = tmp_path / "tags.ipynb"
    nbformat.write(nb, src)
    proc = nbconvert(venv_env, "--to", "notebook", "--execute", str(src), "--output", "tags.out.ipynb")
    assert proc.returncode == 0, proc.stderr
    out = nbformat.read(tmp_path / "tags.out.ipynb", as_version=4)
    assert out.cells[0].outputs[0].output_type == "error"
    assert out.cells[1].outputs == []
    assert out.cells[2].outputs[0].data["text/plain"] == "3"


def test_python_is_the_venv(venv_env):
    """Subprocesses find the venv's jupyter first (it has nbconvert and the kernelspec)."""
    assert venv_env["PATH"].split(":")[0] == str(VENV_BIN)
    assert (VENV_BIN / "jupyter-nbconvert").exists(), VENV_BIN
    assert Path(sys.executable).parent == VENV_BIN or Path(sys.prefix) / "bin" == VENV_BIN
