"""`jupyter nbconvert --to pdf` through LaTeX (Debian's TeX: texlive-xetex, and pandoc for
the Markdown cells). Not part of `make test` (TeX is a large install): `make pdf-test`.

An executed lesson becomes a PDF whose heatmaps are the PNGs the kernel puts in every
heatmap bundle (nbconvert's LaTeX path cannot use text/html and would need Inkscape for
SVG): the PDF embeds one image per heatmap/heads display.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from notebook_helpers import NOTEBOOK_DIR, describe, display_calls, run, venv_tool  # noqa: E402

LESSON = "01-the-problem-attention-solves.ipynb"


def test_nbconvert_to_pdf_embeds_every_heatmap(tmp_path, venv_env):
    for tool in ("xelatex", "pandoc"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc"
    shutil.copy(NOTEBOOK_DIR / LESSON, tmp_path / LESSON)
    proc = run([venv_tool("jupyter"), "nbconvert", "--to", "pdf", "--execute", LESSON],
               env=venv_env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, describe(proc)
    pdf = (tmp_path / LESSON.replace(".ipynb", ".pdf")).read_bytes()
    assert pdf.startswith(b"%PDF-")
    images = len(re.findall(rb"/Subtype\s*/Image", pdf))
    expected = display_calls(nbformat.read(NOTEBOOK_DIR / LESSON, as_version=4))
    assert images >= expected >= 1, (images, expected)
