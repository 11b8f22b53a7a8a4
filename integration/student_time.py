"""How long a lesson takes a student, estimated from its source (notebooks/src/NN-name.md).

The rule, stated once here and quoted by notebooks/README.md:
- reading: every word of the markdown cells at 150 words a minute (a slow pace, for
  technical prose with formulas), except the collapsed hints, which a student opens only
  when stuck and whose time is part of the exercise's;
- one minute per code cell (read it, run it, look at the output);
- five minutes per graded exercise and three per graded check-your-understanding.

    .venv/bin/python integration/student_time.py     # the table, one lesson a line
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lesson_cells import cells

WORDS_PER_MINUTE = 150
MINUTES_PER_CODE_CELL = 1
MINUTES_PER_EXERCISE = 5
MINUTES_PER_CHECK = 3
BUDGET_MINUTES = 45
SOURCES = Path(__file__).resolve().parent.parent / "notebooks" / "src"
HINT = re.compile(r"<details>.*?</details>", re.S)


@dataclass(frozen=True)
class Estimate:
    lesson: str
    words: int
    code_cells: int
    exercises: int
    checks: int

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * self.code_cells
                + MINUTES_PER_EXERCISE * self.exercises + MINUTES_PER_CHECK * self.checks)


def estimate(source: Path) -> Estimate:
    lesson = cells(source)
    prose = "\n".join(HINT.sub("", c.text) for c in lesson if c.kind == "md")
    graded = [c.grade_id for c in lesson if c.kind in ("solution", "answer")]
    checks = sum(1 for g in graded if g.endswith("-check"))
    return Estimate(source.stem, len(prose.split()), sum(1 for c in lesson if c.kind == "code"),
                    len(graded) - checks, checks)


def lessons() -> list[Estimate]:
    return [estimate(p) for p in sorted(SOURCES.glob("[0-9][0-9]-*.md"))]


if __name__ == "__main__":
    print(f"{'lesson':40} words  code  exercises  checks  minutes")
    for e in lessons():
        print(f"{e.lesson:40} {e.words:5} {e.code_cells:5} {e.exercises:10} {e.checks:7} {e.minutes:8.1f}")
