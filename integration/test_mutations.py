"""The mutation test of the lessons' graders: every graded exercise of notebooks/src/NN-*.md
has at least five wrong-but-plausible answers in notebooks/src/mutations.txt, and each one,
run in the real kernel (over jupyter_client) in place of the solution cell, makes the
exercise's test cell fail. The real solution then passes the same test cell in the same
kernel, so a test that fails for everything is caught too. Prints the count."""
from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel

from kernel_helpers import execute
from lesson_cells import cells, mutants
from notebook_helpers import NOTEBOOK_DIR, SOURCE_DIR, SOURCES

pytestmark = pytest.mark.usefixtures("attention_kernelspec")

MUTANTS = mutants(SOURCE_DIR / "mutations.txt")
MIN_PER_EXERCISE = 5
RESULTS: dict[str, tuple[int, int]] = {}   # notebook -> (wrong answers, caught)


def graded(source) -> list[str]:
    return [c.grade_id for c in cells(source) if c.kind == "solution"]


def test_every_graded_exercise_has_five_wrong_answers():
    known = {(s.stem, g) for s in SOURCES for g in graded(s)}
    counts = {key: 0 for key in known}
    for m in MUTANTS:
        assert (m.notebook, m.grade_id) in known, f"mutations.txt names an unknown exercise {m.notebook} {m.grade_id}"
        counts[(m.notebook, m.grade_id)] += 1
    few = {k: n for k, n in counts.items() if n < MIN_PER_EXERCISE}
    assert not few, f"exercises with fewer than {MIN_PER_EXERCISE} wrong answers: {few}"


def outcome(kc, code: str) -> tuple[str, str]:
    reply = execute(kc, code, timeout=60).reply["content"]
    return reply["status"], f"{reply.get('ename', '')}: {reply.get('evalue', '')}"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_wrong_answers_fail_their_tests(source):
    lesson = cells(source)
    by_exercise: dict[str, list] = {}
    for m in MUTANTS:
        if m.notebook == source.stem:
            by_exercise.setdefault(m.grade_id, []).append(m)
    # In the notebooks' folder, as Jupyter starts it: lesson 6 loads the model shipped there.
    km, kc = start_new_kernel(kernel_name="attention", startup_timeout=60, cwd=str(NOTEBOOK_DIR))
    missed, tried = [], 0
    try:
        for i, cell in enumerate(lesson):
            if cell.kind not in ("code", "solution", "test"):
                continue
            if cell.kind == "solution" and cell.grade_id in by_exercise:
                test = lesson[i + 1]
                assert test.kind == "test", f"{cell.grade_id}: no test cell after the solution"
                for m in by_exercise[cell.grade_id]:
                    tried += 1
                    status, _ = outcome(kc, m.text)
                    assert status == "ok", f"{m.grade_id} / {m.what}: the wrong answer itself does not run ({_})"
                    status, error = outcome(kc, test.text)
                    if status == "ok":
                        missed.append(f"{m.grade_id} / {m.what}")
            status, error = outcome(kc, cell.text)
            assert status == "ok", f"{source.name}: cell {i} ({cell.kind} {cell.grade_id}) failed: {error}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    RESULTS[source.stem] = (tried, tried - len(missed))
    assert not missed, f"wrong answers that pass their tests: {missed}"


def test_print_count(record_property):
    """Runs last in this file (`make test` keeps a file in one worker): the count over the
    lessons tested above, shown in the run's summary (conftest.py)."""
    tried = sum(t for t, _ in RESULTS.values())
    caught = sum(c for _, c in RESULTS.values())
    record_property("summary", f"mutation test: {caught} of {tried} wrong answers caught, over {len(RESULTS)} lessons "
                               f"({len(MUTANTS)} listed in notebooks/src/mutations.txt)")
    assert len(RESULTS) == len(SOURCES) and caught == tried == len(MUTANTS)
