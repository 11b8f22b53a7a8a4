"""save/load against Python's safetensors: a notebook run by nbconvert (from another working
directory) saves into the notebook's folder, Python's `safetensors.numpy.load_file` reads it,
and a file Python wrote loads in the kernel."""
from __future__ import annotations

import json
import os

import nbformat
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from conftest import KERNEL_NAME
from test_nbconvert import make_notebook, nbconvert, outputs

pytestmark = [
    pytest.mark.usefixtures("attention_kernelspec"),
    pytest.mark.skipif(KERNEL_NAME != "attention", reason="save/load are attention builtins"),
]


def test_kernel_and_python_read_each_others_files(tmp_path, venv_env):
    folder = tmp_path / "lesson"
    folder.mkdir()
    save_file({"layers.0.w": np.arange(6, dtype=np.float64).reshape(2, 3),
               "layers.1.w": np.full((2, 3), 0.5), "bias": np.array([1.0, -2.0, 3.0])},
              str(folder / "from_python.safetensors"))
    cells = [
        'M = [1, 2, 3; 4, 5, 6.25]\nsave(M, "matrix.safetensors")',
        'm = gpt(vocab: 5, d_model: 8, heads: 2, layers: 2, context: 4, seed: 3, mlp: false)\n'
        'save(m, "model.safetensors")\nprint(forward(load("model.safetensors"), [1, 2]) == forward(m, [1, 2]))',
        'p = load("from_python.safetensors")\nprint(len(p.layers), p.layers[0].w[1, 2], p.layers[1].w.shape, p.bias)',
        'load("missing.safetensors")',
    ]
    src = make_notebook(folder / "files.ipynb", cells)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # nbconvert itself runs elsewhere: the kernel must use the notebook's folder
    try:
        proc = nbconvert(venv_env, "--to", "notebook", "--execute", "--allow-errors", str(src), "--output", "files.out.ipynb")
    finally:
        os.chdir(cwd)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(folder / "files.out.ipynb", as_version=4)
    outs = outputs(nb)
    text = "".join(o.get("text", "") for o in outs if o.output_type == "stream")
    assert "true" in text, outs
    assert "2 5 [2, 3] [1, -2, 3]" in text.replace("\n", " ") or "2 5 [2, 3]" in text, text
    errors = [o for o in outs if o.output_type == "error"]
    assert len(errors) == 1 and "missing.safetensors" in json.dumps(errors[0]), errors

    tensors = load_file(str(folder / "matrix.safetensors"))
    assert list(tensors) == ["matrix"]
    assert tensors["matrix"].dtype == np.float64
    np.testing.assert_array_equal(tensors["matrix"], np.array([[1, 2, 3], [4, 5, 6.25]]))

    model = load_file(str(folder / "model.safetensors"))
    assert model["wte"].shape == (5, 8) and model["wpe"].shape == (4, 8)
    assert model["blocks.1.Wq"].shape == (8, 8) and model["blocks.0.ln1_gamma"].shape == (1, 8)
    assert "blocks.0.W1" not in model  # attention-only
    assert all(t.dtype == np.float64 for t in model.values())
    from safetensors import safe_open
    with safe_open(str(folder / "model.safetensors"), framework="numpy") as f:
        meta = f.metadata()
    assert meta["heads"] == "2" and meta["mlp"] == "false" and meta["vocab"] == "5"
    assert not (tmp_path / "matrix.safetensors").exists()  # nothing written to nbconvert's cwd
