#!/usr/bin/env python3
"""Build notebooks (the lessons, or an instructor's own exercises) from readable sources.

Each notebook is one text file `NN-name.md` (NN: two digits, which also order them), a
sequence of cells. A cell starts with a marker line; everything up to the next marker is
its source:

    %% md                            a markdown cell
    %% code                          a code cell
    %% solution GRADE_ID             a graded exercise: the student's cell, with the
                                     answer between `// BEGIN SOLUTION` and
                                     `// END SOLUTION` lines (nbgrader replaces it)
    %% test GRADE_ID POINTS          the locked, autograded test cell that follows it
                                     (`// BEGIN HIDDEN TESTS` ... `// END HIDDEN TESTS`
                                     marks tests the students do not see); it must end
                                     on assert(...)/expect_close(...)/expect_shape(...):
                                     all or nothing
    %% test GRADE_ID POINTS partial  the same, but its last line is the score:
                                     `min([max([SCORE, 0]), POINTS])`, which nbgrader
                                     reads as partial credit (0 ... POINTS)
    %% answer GRADE_ID POINTS        a written answer, graded by hand: a markdown cell
                                     holding the model answer, which students see as
                                     "YOUR ANSWER HERE"

Blank lines around a cell are dropped. Lines before the first marker are a comment
for the editor and go nowhere. The format is described in notebooks/src/README.md and
docs/INSTRUCTORS.md.

Usage (from the repository root or anywhere):

    python3 notebooks/src/build_notebooks.py              # notebooks/src/NN-*.md -> notebooks/*.ipynb
    python3 notebooks/src/build_notebooks.py --check      # exit 1 if they are stale
    python3 notebooks/src/build_notebooks.py --course DIR # also DIR/source/lessonN/
    # an instructor's own exercises: every NN-*.md of a folder into one assignment
    python3 notebooks/src/build_notebooks.py MY_SOURCES --assignment week7 --course MY_COURSE
    python3 notebooks/src/build_notebooks.py MY_SOURCES --assignment week7 --out SOME_DIR

Sources are discovered, never listed: every `NN-*.md` of each folder given (default:
this folder). A source that cannot be built, a folder without sources, or a `.md` file
that is not named `NN-name.md` (other than README.md) stops the build with exit code 2
and a message naming the file and line; nothing is written then.

A file that a source's cells `load("name.safetensors")` by a literal name and that sits
beside the source (a model shipped pre-trained) is copied next to the notebook, in the
output folder and in the course's assignment folder; `--check` compares it too.

Without `--assignment`, notebook NN is assignment `lessonN` (cell ids `lessonN-cellNNN`);
with it, every notebook belongs to that assignment (cell ids `NAME-NN-cellNNN`).
The output is deterministic: no outputs, no execution counts, nbformat 4.5, keys sorted
by nbformat's writer.
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

SOURCE_NAME = re.compile(r"^(\d\d)-[A-Za-z0-9_.-]+\.md$")

KERNELSPEC = {"name": "attention", "display_name": "Attention (Swift)", "language": "attention"}
LANGUAGE_INFO = {
    "name": "attention",
    "file_extension": ".attn",
    "mimetype": "text/x-attention",
    "codemirror_mode": "swift",
    "pygments_lexer": "swift",
}

MARKER = re.compile(r"^%% (md|code|solution|test|answer)\b(.*)$")
ANY_MARKER = re.compile(r"^%%\s*(\S*)")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
# The last line of a test cell: all or nothing (nbgrader gives full points when the cell
# runs without an error or stderr and ends on no numeric value) ...
ALL_OR_NOTHING = re.compile(r"^\s*(assert|expect_close|expect_shape)\(")
# ... or, marked `partial`, the score: nbgrader reads a numeric execute_result as the
# points earned, *raises* (failing the submission) above the cell's points and gives FULL
# points below 0, hence the clamp to [0, POINTS].
# A file a notebook reads: `load("name.safetensors")` with a literal name. When that file
# sits beside the source (a model shipped pre-trained, with the script that makes it), it
# is copied wherever the notebook goes, so that the notebook finds it in its own folder.
LOADED_FILE = re.compile(r'\bload\(\s*"([^"/\\]+)"\s*\)')
PARTIAL = re.compile(r"^\s*min\(\[\s*max\(\[(?P<score>.+),\s*0\s*\]\)\s*,\s*(?P<points>[0-9.]+)\s*\]\)\s*$")


class SourceError(Exception):
    pass


def parse(path):
    """Returns a list of (kind, args, source, lineno) from one source file."""
    cells = []
    current = None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = MARKER.match(line)
        if m:
            current = (m.group(1), m.group(2).split(), [], lineno)
            cells.append(current)
        elif ANY_MARKER.match(line) and line.startswith("%% "):
            raise SourceError(f"{path.name}:{lineno}: unknown cell marker {line.strip()!r} "
                              "(use %% md, %% code, %% solution, %% test or %% answer)")
        elif current is not None:
            current[2].append(line)
    if not cells:
        raise SourceError(f"{path.name}:1: no cells (a cell starts with a marker line such as `%% md`)")
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


def points_of(text, where):
    try:
        points = float(text)
    except ValueError:
        raise SourceError(f"{where}: points must be a number, not {text!r}") from None
    if not points > 0:
        raise SourceError(f"{where}: points must be more than 0")
    return int(points) if points.is_integer() else points


def nbgrader_meta(kind, args, source, where, seen):
    if kind == "solution":
        if len(args) != 1:
            raise SourceError(f"{where}: use `%% solution GRADE_ID`")
        if "BEGIN SOLUTION" not in source or "END SOLUTION" not in source:
            raise SourceError(f"{where}: a solution cell needs BEGIN/END SOLUTION lines")
        meta = {"grade": False, "solution": True, "locked": False, "task": False,
                "schema_version": 3, "grade_id": args[0]}
    elif kind == "answer":
        if len(args) != 2:
            raise SourceError(f"{where}: use `%% answer GRADE_ID POINTS`")
        # Graded and solution: nbgrader shows "YOUR ANSWER HERE" to students and leaves
        # the cell for manual grading (0 automatically when left untouched).
        meta = {"grade": True, "solution": True, "locked": False, "points": points_of(args[1], where),
                "task": False, "schema_version": 3, "grade_id": args[0]}
    else:
        partial = len(args) == 3 and args[2] == "partial"
        if len(args) != 2 and not partial:
            raise SourceError(f"{where}: use `%% test GRADE_ID POINTS` or `%% test GRADE_ID POINTS partial`")
        points = points_of(args[1], where)
        meta = {"grade": True, "solution": False, "locked": True, "points": points,
                "task": False, "schema_version": 3, "grade_id": args[0]}
        if "SOLUTION" in source:
            raise SourceError(f"{where}: a test cell must not contain solution markers")
        last = [l for l in source.splitlines() if l.strip() and not l.strip().startswith("//")]
        if partial:
            m = PARTIAL.match(last[-1]) if last else None
            if not m:
                raise SourceError(f"{where}: a partial-credit test cell must end on "
                                  f"`min([max([SCORE, 0]), {points}])` (its score, clamped to 0...{points})")
            if float(m.group("points")) != float(points):
                raise SourceError(f"{where}: the score is clamped to {m.group('points')}, "
                                  f"but the cell is worth {points} points")
        # nbgrader turns a numeric last value into partial credit: end on assert/expect_*.
        elif not last or not ALL_OR_NOTHING.match(last[-1]) and not last[-1].strip() == "}":
            raise SourceError(f"{where}: a test cell must end on assert(...) or expect_*(...) "
                              "(or be marked `partial` and end on its score)")
    if not GRADE_ID.match(meta["grade_id"]):
        raise SourceError(f"{where}: grade id {meta['grade_id']!r} has characters nbgrader rejects")
    if meta["grade_id"] in seen:
        raise SourceError(f"{where}: grade id {meta['grade_id']!r} used twice")
    seen.add(meta["grade_id"])
    return meta


def build(path, id_prefix):
    """The notebook text for one source file; cell ids are `{id_prefix}-cellNNN`."""
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    seen = set()
    previous = None
    for index, (kind, args, source, lineno) in enumerate(parse(path)):
        where = f"{path.name}:{lineno}"
        cell_id = f"{id_prefix}-cell{index:03d}"
        if kind == "md":
            if args:
                raise SourceError(f"{where}: `%% md` takes no arguments")
            if "SOLUTION" in source or "HIDDEN TESTS" in source:
                raise SourceError(f"{where}: nbgrader markers in a markdown cell")
            cell = v4.new_markdown_cell(source, id=cell_id)
        elif kind == "answer":
            if "SOLUTION" in source or "HIDDEN TESTS" in source:
                raise SourceError(f"{where}: an answer cell is replaced whole; leave out nbgrader markers")
            cell = v4.new_markdown_cell(source, id=cell_id)
            cell.metadata["nbgrader"] = nbgrader_meta(kind, args, source, where, seen)
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
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        raise SourceError(f"{path.name}: the notebook would be invalid: {e.message}") from None
    buf = io.StringIO()
    nbformat.write(nb, buf, version=4)
    return buf.getvalue()


def data_files(path):
    """The files beside `path` that its cells `load`, in order of first use."""
    names = dict.fromkeys(LOADED_FILE.findall(path.read_text(encoding="utf-8")))
    return [path.parent / name for name in names if (path.parent / name).is_file()]


def discover(paths):
    """The `NN-*.md` sources of the folders (or files) given, in name order."""
    found = []
    for given in paths:
        given = pathlib.Path(given)
        if given.is_file():
            if not SOURCE_NAME.match(given.name):
                raise SourceError(f"{given}: a source must be named NN-name.md (two digits first)")
            found.append(given)
            continue
        if not given.is_dir():
            raise SourceError(f"{given}: no such file or folder")
        sources = sorted(p for p in given.glob("*.md") if SOURCE_NAME.match(p.name))
        strays = sorted(p.name for p in given.glob("*.md")
                        if not SOURCE_NAME.match(p.name) and p.name.lower() != "readme.md")
        if strays:
            # A file the build would skip silently is a lesson that never reaches students.
            raise SourceError(f"{given}: {', '.join(strays)}: not named NN-name.md, so it would not be "
                              "built; rename it (two digits first) or move it out of the folder")
        if not sources:
            raise SourceError(f"{given}: no NN-name.md sources in this folder")
        found.extend(sources)
    stems = [p.stem for p in found]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        raise SourceError(f"two sources would write the same notebook: {', '.join(duplicates)}")
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="*", metavar="SOURCE",
                    help="folders of NN-name.md sources, or such files (default: notebooks/src)")
    ap.add_argument("--out", metavar="DIR",
                    help="write DIR/NN-name.ipynb (default: notebooks/ for the lessons; "
                         "nothing for other sources unless given)")
    ap.add_argument("--assignment", metavar="NAME",
                    help="put every notebook in this nbgrader assignment (default: lessonN per notebook)")
    ap.add_argument("--course", metavar="DIR", help="also write DIR/source/ASSIGNMENT/NN-name.ipynb")
    ap.add_argument("--check", action="store_true", help="fail if a notebook in the output folder is out of date")
    args = ap.parse_args(argv)

    out = pathlib.Path(args.out) if args.out else (OUT if not args.sources else None)
    if out is None and not args.course:
        print("error: say where the notebooks go: --out DIR and/or --course DIR", file=sys.stderr)
        return 2
    if args.assignment is not None and not GRADE_ID.match(args.assignment):
        print(f"error: assignment name {args.assignment!r}: use letters, digits, - and _", file=sys.stderr)
        return 2

    # Build everything first: a source that fails stops the run before anything is written.
    built = []
    try:
        for path in discover(args.sources or [SRC]):
            number = int(path.name[:2])
            assignment = args.assignment or f"lesson{number}"
            prefix = f"{args.assignment}-{path.name[:2]}" if args.assignment else f"lesson{number}"
            built.append((path.stem, assignment, build(path, prefix), data_files(path)))
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    stale = []
    for stem, assignment, text, files in built:
        if out is not None:
            target = out / f"{stem}.ipynb"
            if args.check:
                if not target.exists() or target.read_text(encoding="utf-8") != text:
                    stale.append(target.name)
                stale += [f.name for f in files if not (out / f.name).is_file() or (out / f.name).read_bytes() != f.read_bytes()]
            else:
                out.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                for f in files:
                    (out / f.name).write_bytes(f.read_bytes())
        if args.course:
            # nbgrader copies every file of source/ASSIGNMENT into the release, and back over
            # each submission before autograding: a student cannot lose or alter the file.
            course = pathlib.Path(args.course) / "source" / assignment
            course.mkdir(parents=True, exist_ok=True)
            (course / f"{stem}.ipynb").write_text(text, encoding="utf-8")
            for f in files:
                (course / f.name).write_bytes(f.read_bytes())
    if stale:
        print("out of date (run notebooks/src/build_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    names = ", ".join(f"{stem} ({assignment})" for stem, assignment, _, _ in built)
    if not args.check:
        print(f"built {len(built)} notebook(s): {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
