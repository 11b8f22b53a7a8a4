"""`attention-kernel run FILE.attn`: the headless way to use and test the language.

Runs the built binary (the one the installed kernelspec points at) on small programs:
text output, one JSON mimebundle per line, errors on stderr with exit code 1, and
invalid UTF-8 reported with its position.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

MATRIX_MIME = "application/vnd.attention.matrix+json"


@pytest.fixture(scope="module")
def binary(attention_kernelspec):
    return attention_kernelspec.argv[0]


def run(binary, tmp_path, source: bytes | str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "program.attn"
    path.write_bytes(source.encode() if isinstance(source, str) else source)
    return subprocess.run([binary, "run", str(path), *args], capture_output=True, text=True, timeout=60)


def test_text_output_prints_outputs_then_the_result(binary, tmp_path):
    done = run(binary, tmp_path, 'print("hello", 1 + 1)\nlet A = [1, 2; 3, 4]\nA @ eye(2)\n')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello 2\n")
    assert "matrix 2×2" in done.stdout and "3  4" in done.stdout
    assert done.stderr == ""


def test_json_output_is_one_notebook_output_per_line(binary, tmp_path):
    done = run(binary, tmp_path, 'print("x")\nheatmap(eye(2))\nsoftmax([0, 0])\n', "--format", "json")
    assert done.returncode == 0, done.stderr
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "execute_result"]
    assert outputs[0]["text"] == "x\n"
    assert outputs[1]["data"]["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature
    assert 'class="heatmap-cells"' in outputs[1]["data"]["text/html"]
    assert outputs[2]["data"][MATRIX_MIME] == {"shape": [1, 2], "data": [[0.5, 0.5]]}


def test_an_error_prints_the_diagnostic_and_exits_1(binary, tmp_path):
    done = run(binary, tmp_path, "let Q = ones(2, 3)\nQ @ Q\n")
    assert done.returncode == 1
    assert "ShapeError" in done.stderr and "line 2, column 3" in done.stderr and "Q @ Q" in done.stderr
    assert "^" in done.stderr


def test_invalid_utf8_is_a_syntax_error_with_its_position(binary, tmp_path):
    done = run(binary, tmp_path, b"let x = 1\nlet y = \xff\n")
    assert done.returncode == 1
    assert "SyntaxError" in done.stderr and "line 2" in done.stderr and "UTF-8" in done.stderr


def test_the_example_in_the_readme_runs(binary):
    done = subprocess.run([binary, "run", str(Path(__file__).resolve().parent.parent / "examples" / "hello.attn")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "heatmap 6×6" in done.stdout


def test_run_reads_a_pipe_and_reports_a_missing_file(binary, tmp_path):
    piped = subprocess.run([binary, "run", "/dev/stdin"], input="print(1 / 4)\n", capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "0.25\n"
    missing = tmp_path / "absent.attn"
    done = subprocess.run([binary, "run", str(missing)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cannot read {missing}: No such file or directory" in done.stderr
