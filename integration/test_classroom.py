"""The small version of `make classroom`: a real JupyterHub (PyPI) with Debian's
configurable-http-proxy on loopback, two students logging in through the REST API,
starting their servers, and running the classroom lesson over the kernel websocket at the
same time; every student's outputs equal the solo reference run's. Afterwards no
single-user server or kernel of the hub is left running."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def hub_processes() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "jupyterhub-singleuser" in cmd or "classroom-" in cmd:
                found.append(f"{entry}: {cmd}")
    return found


@pytest.mark.timeout(600)
def test_two_students_on_jupyterhub_all_get_the_right_outputs(attention_kernelspec, tmp_path, venv_env):
    before = hub_processes()
    out = tmp_path / "classroom.json"
    # One class size, one hub: the sweep over sizes is tested below without hubs.
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "classroom.py"), "--students", "2",
                           "--p99-limit", "60", "--kernels", "attention", "--json", str(out)],
                          env=venv_env, capture_output=True, text=True, timeout=580)
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = json.loads(out.read_text())
    assert "attention: largest class run with p99 <= 60 s and every output right: 2" in done.stdout, done.stdout
    assert run["kernel"] == "attention" and run["students"] == 2 and run["correct"] == 2, run["failures"]
    assert run["cells"] == 2 * 5
    # The reference run really executed the lesson (multi_head's shape, the loop's sum).
    flat = json.dumps(run["reference_outputs"])
    assert "[64, 32]" in flat and "done 1999000" in flat and '"error"' not in flat
    # The help menu's reference link stays inside the student's server (JupyterHub's prefix)
    # and the server serves it.
    [link] = run["help_links"]
    assert link["url"] == f"/user/{run['reference_user']}/kernelspecs/attention/language-reference.html", link
    assert link["status"] == 200, link
    assert 0 < run["p50_s"] <= run["p99_s"]
    assert run["kernel_mib"] > 1 and run["server_mib"] > run["kernel_mib"]
    assert "| attention | 2 | 2/2 |" in done.stdout
    assert hub_processes() == before, "the hub left servers or kernels running"


def test_the_largest_class_is_the_largest_size_within_the_limit_with_every_output_right():
    sys.path.insert(0, str(ROOT / "scripts"))
    from classroom import largest_classes
    runs = [{"kernel": "attention", "students": 10, "correct": 10, "p99_s": 0.3},
            {"kernel": "attention", "students": 40, "correct": 40, "p99_s": 0.9},
            {"kernel": "attention", "students": 80, "correct": 80, "p99_s": 1.4},
            {"kernel": "python3", "students": 10, "correct": 10, "p99_s": 0.5},
            {"kernel": "python3", "students": 40, "correct": 39, "p99_s": 0.8}]
    assert largest_classes(runs, 1.0).splitlines() == [
        "attention: largest class run with p99 <= 1 s and every output right: 40",
        "python3: largest class run with p99 <= 1 s and every output right: 10"]
    assert "none" in largest_classes([{"kernel": "attention", "students": 5, "correct": 5, "p99_s": 2.0}], 1.0)
