"""The cells of a lesson source (notebooks/src/NN-name.md) and the wrong answers of
notebooks/src/mutations.txt, parsed for the mutation test (test_mutations.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cell:
    kind: str          # md, code, solution, test, answer
    grade_id: str      # "" for md and code cells
    text: str


@dataclass(frozen=True)
class Mutant:
    notebook: str      # the source's stem, e.g. 01-the-problem-attention-solves
    grade_id: str      # the solution cell it replaces
    what: str          # what is wrong with it
    text: str


def cells(source: Path) -> list[Cell]:
    """The source's cells in order; the text before the first marker is a comment."""
    out: list[Cell] = []
    kind, grade_id, lines = None, "", []
    for line in source.read_text().splitlines():
        if line.startswith("%% "):
            if kind is not None:
                out.append(Cell(kind, grade_id, "\n".join(lines).strip("\n")))
            words = line.split()
            kind, grade_id, lines = words[1], (words[2] if len(words) > 2 else ""), []
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        out.append(Cell(kind, grade_id, "\n".join(lines).strip("\n")))
    return out


def mutants(path: Path) -> list[Mutant]:
    out: list[Mutant] = []
    notebook = grade_id = what = None
    lines: list[str] = []

    def flush() -> None:
        if what is not None:
            text = "\n".join(lines).strip("\n")
            assert text, f"{path}: wrong answer {what!r} of {grade_id} has no text"
            out.append(Mutant(notebook, grade_id, what, text))

    for line in path.read_text().splitlines():
        if line.startswith("### "):
            flush()
            what, lines = line[4:].strip(), []
        elif line.startswith("## "):
            flush()
            notebook, grade_id = line[3:].split()
            what, lines = None, []
        elif what is not None:
            lines.append(line)
    flush()
    return out
