"""Shared helpers for the notebook tests (test_notebooks.py, test_nbgrader.py,
test_instructor_course.py): where the lessons are, how to run the venv's Jupyter tools
(nbgrader included), what a lesson's code asks for, how a fake student fills in a notebook."""
from __future__ import annotations

import re
import subprocess

import nbformat
from html.parser import HTMLParser
from pathlib import Path

from conftest import VENV_BIN

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "src"
BUILDER = SOURCE_DIR / "build_notebooks.py"
# The lessons follow their sources (notebooks/src/NN-name.md), however many there are.
SOURCES = sorted(SOURCE_DIR.glob("[0-9][0-9]-*.md"))
LESSONS = [NOTEBOOK_DIR / f"{source.stem}.ipynb" for source in SOURCES]

# heatmap(...) and heads(...) calls: each one displays one SVG (heads: a grid in one SVG)
DISPLAY_CALL = re.compile(r"(?<![\w.])(heatmap|heads)\s*\(")


def venv_tool(name: str) -> str:
    """The venv's console script `name` (jupyter, nbgrader), else whatever PATH has."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"$ {' '.join(map(str, proc.args))}\nexit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-8000:]}"


class ExecutedLessons:
    """Each lesson executed once per test run, as `jupyter nbconvert --to notebook
    --execute` does it, on first request: the headless, HTML and untrusted-notebook tests
    read the same executed copy instead of running every lesson three times."""

    def __init__(self, directory: Path, env: dict[str, str], timeout: float):
        self.directory, self.env, self.timeout = directory, env, timeout
        self.runs: dict[str, tuple[subprocess.CompletedProcess, Path]] = {}

    def get(self, lesson: Path) -> tuple[subprocess.CompletedProcess, Path]:
        """(the nbconvert run, the executed notebook) of the lesson at `lesson`."""
        if lesson.name not in self.runs:
            proc = run(
                [venv_tool("jupyter"), "nbconvert", "--to", "notebook", "--execute",
                 "--output-dir", str(self.directory), "--output", lesson.stem, str(lesson)],
                env=self.env, cwd=self.directory, timeout=self.timeout,
            )
            self.runs[lesson.name] = (proc, self.directory / lesson.name)
        return self.runs[lesson.name]


def strip_comments(code: str) -> str:
    """Drops `// ...` comments outside string literals (good enough for counting calls)."""
    out = []
    for line in code.splitlines():
        in_string = False
        cut = len(line)
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and in_string:
                i += 2
                continue
            if ch == '"':
                in_string = not in_string
            elif not in_string and line.startswith("//", i):
                cut = i
                break
            i += 1
        out.append(line[:cut])
    return "\n".join(out)


def strip_strings(code: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', code)


def display_calls(nb) -> int:
    """How many heatmap/heads calls the notebook's code cells make."""
    return sum(
        len(DISPLAY_CALL.findall(strip_strings(strip_comments(cell.source))))
        for cell in nb.cells
        if cell.cell_type == "code"
    )


class OutputHeatmapCounter(HTMLParser):
    """Counts heatmap tables (`table.heatmap-cells`), their cells with an inline
    background colour and with a `title` tooltip, and `<svg>` elements, inside the output
    areas (`div.jp-OutputArea-output`) of nbconvert's HTML, so that icons of the page
    template are never counted; also collects the MIME types of error/stderr outputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.div_depth = 0
        self.output_depths: list[int] = []
        self.tables = 0
        self.coloured_cells = 0
        self.titled_cells = 0
        self.svgs = 0
        self.error_outputs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            self.div_depth += 1
            if "jp-OutputArea-output" in classes:
                self.output_depths.append(self.div_depth)
                mime = attrs.get("data-mime-type", "")
                if mime == "application/vnd.jupyter.stderr" or "output_error" in classes:
                    self.error_outputs.append(mime or " ".join(classes))
        if not self.output_depths:
            return
        if tag == "table" and "heatmap-cells" in classes:
            self.tables += 1
        elif tag == "td" and "background-color:#" in (attrs.get("style") or ""):
            self.coloured_cells += 1
            if " → " in (attrs.get("title") or ""):
                self.titled_cells += 1
        elif tag == "svg":
            self.svgs += 1

    def handle_startendtag(self, tag, attrs):
        # an empty <div/> never opens
        if tag == "div":
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "div":
            if self.output_depths and self.output_depths[-1] == self.div_depth:
                self.output_depths.pop()
            self.div_depth -= 1


def count_output_heatmaps(html: str) -> OutputHeatmapCounter:
    counter = OutputHeatmapCounter()
    counter.feed(html)
    counter.close()
    return counter


# --- nbgrader -----------------------------------------------------------------------------


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solution_sources(nb) -> dict[str, str]:
    """grade_id → the source notebook's solution cell, without the BEGIN/END SOLUTION
    marker lines (a student's cell would not have them)."""
    out = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and not meta.get("grade"):
            lines = [l for l in cell.source.splitlines() if "BEGIN SOLUTION" not in l and "END SOLUTION" not in l]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


def fill_in(student_nb, solutions: dict[str, str]):
    """The student version with every solution cell replaced by `solutions[grade_id]`."""
    nb = nbformat.from_dict(student_nb)
    filled = set()
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in solutions:
            cell.source = solutions[grade_id]
            filled.add(grade_id)
    assert filled == set(solutions), (sorted(filled), sorted(solutions))
    return nb


def nbgrader(course, env, *args, timeout=600):
    proc = run([venv_tool("nbgrader"), *args], env=env, cwd=course, timeout=timeout)
    assert proc.returncode == 0, describe(proc)
    return proc
