"""`attention-kernel install [--user | --sys-prefix | --prefix P]` writes a kernelspec that
`jupyter kernelspec list` finds, with this binary's absolute path and the logos (built into
the binary); `uninstall` with the same flags removes it; `--version` prints the version.
`--user` follows jupyter_core: $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else
$HOME/.local/share/jupyter, with $HOME as set (not the password database's home)."""
from __future__ import annotations

import json
import os
import re
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
    assert spec["metadata"]["supported_encryption"] == ["curve"]
    for size in (32, 64):
        assert (directory / f"logo-{size}x{size}.png").read_bytes().startswith(b"\x89PNG")


def location(tmp_path: Path, how: str) -> tuple[list[str], dict, Path]:
    """Flags, environment and the kernelspec folder Jupyter should find for ``how``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    flags = [how.split(":")[0]]
    if how == "--user:JUPYTER_DATA_DIR":
        env["JUPYTER_DATA_DIR"] = str(tmp_path / "data")
        expected = tmp_path / "data" / "kernels" / NAME
    elif how == "--user:XDG_DATA_HOME":
        env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
        expected = tmp_path / "xdg" / "jupyter" / "kernels" / NAME
    elif how == "--user:HOME":
        expected = tmp_path / "home" / ".local" / "share" / "jupyter" / "kernels" / NAME
    elif how == "--sys-prefix":
        env["VIRTUAL_ENV"] = str(tmp_path / "venv")
        expected = tmp_path / "venv" / "share" / "jupyter" / "kernels" / NAME
        env["JUPYTER_PATH"] = str(tmp_path / "venv" / "share" / "jupyter")
    else:
        flags.append(str(tmp_path / "prefix"))
        expected = tmp_path / "prefix" / "share" / "jupyter" / "kernels" / NAME
        env["JUPYTER_PATH"] = str(tmp_path / "prefix" / "share" / "jupyter")
    return flags, env, expected


HOWS = ["--user:JUPYTER_DATA_DIR", "--user:XDG_DATA_HOME", "--user:HOME", "--sys-prefix", "--prefix"]


@pytest.mark.parametrize("how", HOWS)
def test_install_is_found_by_jupyter_and_uninstall_removes_it(binary, tmp_path, how):
    flags, env, expected = location(tmp_path, how)
    # A name of its own, so the kernelspec the other tests use cannot answer for this one.
    done = subprocess.run([binary, "install", "--name", NAME, *flags], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    check_spec(expected, binary)
    specs = specs_seen_by_jupyter(env)
    assert NAME in specs
    assert Path(specs[NAME]["resource_dir"]).resolve() == expected.resolve()

    done = subprocess.run([binary, "uninstall", "--name", NAME, *flags], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not expected.exists()
    assert NAME not in specs_seen_by_jupyter(env)
    # A second uninstall finds nothing and says so.
    again = subprocess.run([binary, "uninstall", "--name", NAME, *flags], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and f"no kernelspec '{NAME}'" in again.stderr


def test_uninstall_never_removes_a_folder_that_is_not_a_kernelspec(binary, tmp_path):
    precious = tmp_path / "prefix" / "share" / "jupyter" / "kernels" / NAME
    precious.mkdir(parents=True)
    (precious / "notes.txt").write_text("keep me")
    done = subprocess.run([binary, "uninstall", "--name", NAME, "--prefix", str(tmp_path / "prefix")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert (precious / "notes.txt").read_text() == "keep me"


def test_version_prints_the_kernel_version(binary, attention_kernelspec):
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    version = done.stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), done.stdout
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="attention", startup_timeout=60)
    try:
        kc.kernel_info()
        reply = kc.get_shell_msg(timeout=30)
        assert reply["content"]["implementation_version"] == version
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_conflicting_flags_are_refused(binary, tmp_path):
    done = subprocess.run([binary, "install", "--user", "--prefix", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "at most one" in done.stderr
