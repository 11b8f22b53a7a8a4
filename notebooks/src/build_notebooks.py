#!/usr/bin/env python3
"""Build the lesson notebooks from their readable sources.

Each lesson is one text file `notebooks/src/NN-name.md`, a sequence of cells. A cell
starts with a marker line; everything up to the next marker is its source:

    %% md                            a markdown cell
    %% code                          a code cell
    %% solution GRADE_ID             a graded exercise: the student's cell, with the
                                     answer between `// BEGIN SOLUTION` and
                                     `// END SOLUTION` lines (nbgrader replaces it)
    %% test GRADE_ID POINTS          the locked, autograded test cell that follows it
                                     (`// BEGIN HIDDEN TESTS` ... `// END HIDDEN TESTS`
                                     marks tests the students do not see)

Blank lines around a cell are dropped. Lines before the first marker are a comment
for the editor and go nowhere.

Usage (from the repository root or anywhere):

    python3 notebooks/src/build_notebooks.py              # write notebooks/*.ipynb
    python3 notebooks/src/build_notebooks.py --check      # exit 1 if they are stale
    python3 notebooks/src/build_notebooks.py --course DIR # also DIR/source/lessonN/

The output is deterministic: cell ids are `lessonN-cellNNN`, no outputs, no execution
counts, nbformat 4.5, keys sorted by nbformat's writer.
"""

import argparse
import io
import pathlib
import re
import sys

import nbformat
from nbformat import v4

SRC = pathlib.Path(__file__).resolve().parent
OUT = SRC.parent

# (number, source file stem == notebook stem)
LESSONS = [
    (1, "01-the-problem-attention-solves"),
    (2, "02-queries-and-keys"),
    (3, "03-values-and-attention-output"),
    (4, "04-multi-head-attention"),
    (5, "05-the-transformer-block"),
    (6, "06-decoder-only-transformers"),
]

KERNELSPEC = {"name": "attention", "display_name": "Attention (Swift)", "language": "attention"}
LANGUAGE_INFO = {
    "name": "attention",
    "file_extension": ".attn",
    "mimetype": "text/x-attention",
    "codemirror_mode": "swift",
    "pygments_lexer": "swift",
}

MARKER = re.compile(r"^%% (md|code|solution|test)\b(.*)$")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class SourceError(Exception):
    pass


def parse(path):
    """Returns a list of (kind, args, source) from one lesson file."""
    cells = []
    current = None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = MARKER.match(line)
        if m:
            current = (m.group(1), m.group(2).split(), [], lineno)
            cells.append(current)
        elif current is not None:
            current[2].append(line)
    out = []
    for kind, args, lines, lineno in cells:
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            raise SourceError(f"{path.name}:{lineno}: empty {kind} cell")
        out.append((kind, args, "\n".join(lines), lineno))
    return out


def nbgrader_meta(kind, args, source, where, seen):
    if kind == "solution":
        if len(args) != 1:
            raise SourceError(f"{where}: use `%% solution GRADE_ID`")
        if "BEGIN SOLUTION" not in source or "END SOLUTION" not in source:
            raise SourceError(f"{where}: a solution cell needs BEGIN/END SOLUTION lines")
        meta = {"grade": False, "solution": True, "locked": False, "task": False,
                "schema_version": 3, "grade_id": args[0]}
    else:
        if len(args) != 2:
            raise SourceError(f"{where}: use `%% test GRADE_ID POINTS`")
        meta = {"grade": True, "solution": False, "locked": True, "points": int(args[1]),
                "task": False, "schema_version": 3, "grade_id": args[0]}
        if "SOLUTION" in source:
            raise SourceError(f"{where}: a test cell must not contain solution markers")
        last = [l for l in source.splitlines() if l.strip() and not l.strip().startswith("//")]
        # nbgrader turns a numeric last value into partial credit: end on assert/expect_*.
        if not last or not re.match(r"^\s*(assert|expect_close|expect_shape)\(", last[-1]) \
                and not last[-1].strip() == "}":
            raise SourceError(f"{where}: a test cell must end on assert(...) or expect_*(...)")
    if not GRADE_ID.match(meta["grade_id"]):
        raise SourceError(f"{where}: grade id {meta['grade_id']!r} has characters nbgrader rejects")
    if meta["grade_id"] in seen:
        raise SourceError(f"{where}: grade id {meta['grade_id']!r} used twice")
    seen.add(meta["grade_id"])
    return meta


def build(number, stem):
    path = SRC / f"{stem}.md"
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    seen = set()
    previous = None
    for index, (kind, args, source, lineno) in enumerate(parse(path)):
        where = f"{path.name}:{lineno}"
        cell_id = f"lesson{number}-cell{index:03d}"
        if kind == "md":
            if args:
                raise SourceError(f"{where}: `%% md` takes no arguments")
            if "SOLUTION" in source or "HIDDEN TESTS" in source:
                raise SourceError(f"{where}: nbgrader markers in a markdown cell")
            cell = v4.new_markdown_cell(source, id=cell_id)
        else:
            if "HIDDEN TESTS" in source and kind != "test":
                raise SourceError(f"{where}: hidden tests outside a test cell")
            if "SOLUTION" in source and kind != "solution":
                raise SourceError(f"{where}: solution markers outside a solution cell")
            cell = v4.new_code_cell(source, id=cell_id)
            if kind in ("solution", "test"):
                if kind == "test" and previous != "solution":
                    raise SourceError(f"{where}: a test cell must follow its solution cell")
                cell.metadata["nbgrader"] = nbgrader_meta(kind, args, source, where, seen)
            elif args:
                raise SourceError(f"{where}: `%% code` takes no arguments")
        previous = kind
        nb.cells.append(cell)
    nbformat.validate(nb)
    buf = io.StringIO()
    nbformat.write(nb, buf, version=4)
    return buf.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if a notebook is out of date")
    ap.add_argument("--course", metavar="DIR", help="also write DIR/source/lessonN/NN-name.ipynb")
    args = ap.parse_args(argv)
    stale = []
    for number, stem in LESSONS:
        try:
            text = build(number, stem)
        except SourceError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        target = OUT / f"{stem}.ipynb"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
        if args.course:
            course = pathlib.Path(args.course) / "source" / f"lesson{number}"
            course.mkdir(parents=True, exist_ok=True)
            (course / f"{stem}.ipynb").write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run notebooks/src/build_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
