"""PDF export without TeX, as the README tells students: `make pdf NB=...` runs
scripts/pdf.sh (nbconvert --execute to HTML, headless chromium prints it). The PDF must
have pages and the heatmaps in colour: its content streams, inflated with zlib, fill
rectangles with the heatmap's viridis colours (the HTML cells, printed with
print-color-adjust: exact), not only black text.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest

from notebook_helpers import NOTEBOOK_DIR, ROOT, describe, run

LESSON = "01-the-problem-attention-solves.ipynb"
# The first anchors of the heatmap colour map (Renderer.colourAnchors), 0…255.
VIRIDIS_DARK = (68, 1, 84)

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(300)]


def fill_colours(pdf: bytes) -> set[tuple[int, int, int]]:
    """Every `r g b rg` (non-stroking RGB fill) in the PDF's Flate-compressed streams."""
    colours = set()
    for m in re.finditer(rb"stream\r?\n", pdf):
        start = m.end()
        end = pdf.find(b"endstream", start)
        try:
            data = zlib.decompressobj().decompress(pdf[start:end])
        except zlib.error:
            continue
        for r, g, b in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", data):
            colours.add(tuple(round(float(v) * 255) for v in (r, g, b)))
    return colours


def test_make_pdf_prints_a_lesson_with_coloured_heatmaps(tmp_path, venv_env):
    nb = tmp_path / LESSON
    shutil.copy(NOTEBOOK_DIR / LESSON, nb)
    proc = run(["bash", str(ROOT / "scripts" / "pdf.sh"), str(nb), str(tmp_path / "out")],
               env=venv_env, cwd=tmp_path, timeout=240)
    assert proc.returncode == 0, describe(proc)
    pdf_path = tmp_path / "out" / LESSON.replace(".ipynb", ".pdf")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 2, pages
    colours = fill_colours(pdf)
    near = lambda c, ref: all(abs(a - b) <= 2 for a, b in zip(c, ref))  # noqa: E731
    assert any(near(c, VIRIDIS_DARK) for c in colours), sorted(colours)[:40]
    # many distinct heatmap colours, not just the page's greys
    saturated = {c for c in colours if max(c) - min(c) > 40}
    assert len(saturated) >= 10, sorted(saturated)


def test_make_pdf_target_exists(venv_env):
    proc = subprocess.run(["make", "-n", "pdf", "NB=notebooks/x.ipynb"], cwd=ROOT, env=venv_env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "scripts/pdf.sh" in proc.stdout
