"""`attention-kernel install [--user | --sys-prefix | --prefix P]` writes a kernelspec that
`jupyter kernelspec list` finds, with this binary's absolute path and the logos."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

JUPYTER = str(Path(sys.prefix) / "bin" / "jupyter")
NAME = "attention-install-test"


@pytest.fixture(scope="module")
def binary(attention_kernelspec):
    return attention_kernelspec.argv[0]


def specs_seen_by_jupyter(env: dict) -> dict:
    done = subprocess.run([JUPYTER, "kernelspec", "list", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["kernelspecs"]


def check_spec(directory: Path, binary: str) -> None:
    spec = json.loads((directory / "kernel.json").read_text())
    assert spec["argv"] == [binary, "-f", "{connection_file}"]
    assert os.path.isabs(spec["argv"][0])
    assert spec["display_name"] == "Attention (Swift)"
    assert spec["language"] == "attention"
    assert spec["interrupt_mode"] == "message"
    for size in (32, 64):
        assert (directory / f"logo-{size}x{size}.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("how", ["--user", "--sys-prefix", "--prefix"])
def test_install_is_found_by_jupyter(binary, tmp_path, how):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["HOME"] = str(tmp_path / "home")
    # A name of its own, so the kernelspec the other tests use cannot answer for this one.
    args = [binary, "install", "--name", NAME, how]
    if how == "--user":
        env["JUPYTER_DATA_DIR"] = str(tmp_path / "data")
        expected = tmp_path / "data" / "kernels" / NAME
    elif how == "--sys-prefix":
        env["VIRTUAL_ENV"] = str(tmp_path / "venv")
        expected = tmp_path / "venv" / "share" / "jupyter" / "kernels" / NAME
        env["JUPYTER_PATH"] = str(tmp_path / "venv" / "share" / "jupyter")
    else:
        args.append(str(tmp_path / "prefix"))
        expected = tmp_path / "prefix" / "share" / "jupyter" / "kernels" / NAME
        env["JUPYTER_PATH"] = str(tmp_path / "prefix" / "share" / "jupyter")
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    check_spec(expected, binary)
    specs = specs_seen_by_jupyter(env)
    assert NAME in specs
    assert Path(specs[NAME]["resource_dir"]).resolve() == expected.resolve()


def test_conflicting_flags_are_refused(binary, tmp_path):
    done = subprocess.run([binary, "install", "--user", "--prefix", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "at most one" in done.stderr
