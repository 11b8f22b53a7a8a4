#!/usr/bin/env python3
"""Class-wide grading: nbgrader autogrades N generated submissions of the template
exercise (notebooks/template/) in parallel, and every grade is checked.

The submissions cycle through five kinds of student (the grades are the autograded points
of 5; the written answer, 2 more points, waits for the instructor):

    right     the solutions                                          5
    wrong     no 1/sqrt(d_k); exp(S) without dividing by the sum     1 (partial credit)
    blank     the student version as released                        0
    erroring  scaled_weights calls a name that does not exist        3 (its test errors)
    forever   scaled_weights loops forever                           3 (the cell times out)

Parallel the way a course server would: the students are split over W copies of the
course (each with its own gradebook: nbgrader's SQLite gradebook takes one writer) and W
`nbgrader autograde` processes run at once. Reported: wall time, throughput, and per kind
how many grades were right. Exit status 1 if any grade is wrong.

    .venv/bin/python scripts/grade_class.py --submissions 200 --workers 2 [--json out.json]

`make grade-class N=200` runs it; integration/test_grade_class.py runs a small class.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "notebooks" / "template"
BUILDER = ROOT / "notebooks" / "src" / "build_notebooks.py"
ASSIGNMENT = "week1"
NOTEBOOK = "01-scaled-weights"
WEIGHTS, SOFTMAX = "ex-weights", "ex-softmax"
KINDS = ("right", "wrong", "blank", "erroring", "forever")
EXPECTED = {"right": 5.0, "wrong": 1.0, "blank": 0.0, "erroring": 3.0, "forever": 3.0}
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"$ {' '.join(cmd)} (in {cwd})\nexit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solutions(source_nb) -> dict[str, str]:
    """grade_id → the solution cell's text without its BEGIN/END SOLUTION lines."""
    return {meta(c)["grade_id"]: "\n".join(l for l in c.source.splitlines() if "SOLUTION" not in l)
            for c in source_nb.cells if meta(c).get("solution") and not meta(c).get("grade")}


def filled(release_nb, answers: dict[str, str]):
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        if meta(cell).get("solution") and meta(cell).get("grade_id") in answers:
            cell.source = answers[meta(cell)["grade_id"]]
    return nb


def submission(kind: str, release_nb, right: dict[str, str]):
    weights = right[WEIGHTS]
    assert "/ sqrt(d_k)" in weights and "    let d_k" in weights, weights
    if kind == "right":
        return filled(release_nb, right)
    if kind == "wrong":
        return filled(release_nb, dict(right, **{WEIGHTS: weights.replace(" / sqrt(d_k)", ""),
                                                 SOFTMAX: "func row_softmax(S) {\n    return exp(S)\n}"}))
    if kind == "blank":
        return nbformat.from_dict(release_nb)
    if kind == "erroring":
        return filled(release_nb, dict(right, **{WEIGHTS: weights.replace("    let d_k", "    let d_k = K.colz\n    let unused")}))
    if kind == "forever":
        return filled(release_nb, dict(right, **{WEIGHTS: weights.replace("    let d_k", "    while true { }\n    let d_k")}))
    raise ValueError(kind)


def autograded_scores(course: Path) -> dict[str, float]:
    """student → the sum of the autograded scores in this course's gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute(
            "SELECT submitted_assignment.student_id, grade.auto_score FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id").fetchall()
    scores: dict[str, float] = {}
    for student, score in rows:
        scores[student] = scores.get(student, 0.0) + (score or 0.0)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=5,
                        help="seconds a cell may run before nbgrader interrupts it (the looping students)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the course folders (printed)")
    args = parser.parse_args()
    if args.submissions < 1 or args.workers < 1:
        parser.error("--submissions and --workers must be at least 1")

    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    work = Path(tempfile.mkdtemp(prefix="grade-class-"))
    base = work / "course"
    run([sys.executable, str(BUILDER), str(TEMPLATE), "--assignment", ASSIGNMENT, "--course", str(base)], ROOT, env)
    shutil.copy(ROOT / "nbgrader_config.py", base / "nbgrader_config.py")
    run([tool("nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], base, env)
    source_nb = nbformat.read(base / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    release_nb = nbformat.read(base / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    right = solutions(source_nb)

    workers = min(args.workers, args.submissions)
    shards = [work / f"shard{w}" for w in range(workers)]
    for shard in shards:
        shutil.copytree(base, shard)
    expected: dict[str, float] = {}
    kind_of: dict[str, str] = {}
    for i in range(args.submissions):
        kind = KINDS[i % len(KINDS)]
        student = f"s{i:04d}-{kind}"
        target = shards[i % workers] / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(submission(kind, release_nb, right), target)
        expected[student], kind_of[student] = EXPECTED[kind], kind

    started = time.monotonic()
    procs = [subprocess.Popen([tool("nbgrader"), "autograde", ASSIGNMENT, "--force", f"--Execute.timeout={args.timeout}"],
                              cwd=shard, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for shard in shards]
    logs = [p.communicate()[0] for p in procs]
    wall = time.monotonic() - started
    for shard, proc, log in zip(shards, procs, logs):
        if proc.returncode != 0:
            print(f"nbgrader autograde failed in {shard} (exit {proc.returncode}):\n{log[-3000:]}", file=sys.stderr)
            return 1

    got: dict[str, float] = {}
    for shard in shards:
        got.update(autograded_scores(shard))
    wrong = {s: (kind_of[s], expected[s], got.get(s)) for s in expected if got.get(s) != expected[s]}
    per_kind = {k: {"submissions": sum(1 for s in kind_of if kind_of[s] == k),
                    "right": sum(1 for s in kind_of if kind_of[s] == k and s not in wrong),
                    "expected": EXPECTED[k]} for k in KINDS}
    figures = {"submissions": args.submissions, "workers": workers, "cell_timeout_s": args.timeout,
               "wall_s": round(wall, 2), "per_minute": round(args.submissions / wall * 60, 1),
               "all_right": not wrong, "per_kind": per_kind, "wrong": {s: list(v) for s, v in list(wrong.items())[:10]}}

    print(f"nbgrader autograde, {args.submissions} submissions of the template exercise, {workers} in parallel "
          f"(cell time-out {args.timeout} s): {wall:.1f} s, {figures['per_minute']} submissions a minute")
    print("| student | submissions | expected grade (of 5 autograded) | graded right |")
    print("| --- | --- | --- | --- |")
    for k in KINDS:
        p = per_kind[k]
        print(f"| {k} | {p['submissions']} | {p['expected']:g} | {p['right']}/{p['submissions']} |")
    if wrong:
        print("wrong grades (student: kind, expected, got):", json.dumps(figures["wrong"]), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.keep:
        print("course folders kept in", work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
