"""The small version of `make grade-class`: nbgrader autogrades one submission of each kind
(right, wrong, blank, erroring, looping forever) in two parallel course copies, and every
grade is the expected one (scripts/grade_class.py checks them against the gradebooks)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from notebook_helpers import ROOT, describe, run

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(600)]


def test_a_small_class_is_graded_right_in_parallel(tmp_path, venv_env):
    out = tmp_path / "grades.json"
    proc = run([sys.executable, str(ROOT / "scripts" / "grade_class.py"), "--submissions", "5", "--workers", "2",
                "--timeout", "5", "--json", str(out)], env=venv_env, cwd=ROOT, timeout=540)
    assert proc.returncode == 0, describe(proc)
    figures = json.loads(out.read_text())
    assert figures["all_right"] and figures["workers"] == 2 and figures["submissions"] == 5, figures
    per_kind = figures["per_kind"]
    assert set(per_kind) == {"right", "wrong", "blank", "erroring", "forever"}
    assert all(k["submissions"] == 1 and k["right"] == 1 for k in per_kind.values()), per_kind
    # the expected grades differ by kind, so a grader that gave everyone the same score fails
    assert len({k["expected"] for k in per_kind.values()}) == 4
    assert "| forever | 1 | 3 | 1/1 |" in proc.stdout, proc.stdout
    assert figures["per_minute"] > 0
