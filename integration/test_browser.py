"""Lesson 1 (and lesson 4, which trains a model) in a real JupyterLab, in a real browser (Debian's chromium, headless, via
selenium and Debian's chromedriver): open it, Run → Run All Cells, wait until every cell
has run, and check that the page shows heatmap tables (coloured cells with tooltips), a matrix table and
the printed numbers, and no error output. The screenshot goes to artifacts/ (git-ignored).

The server and the browser are fixtures with finalizers: torn down even when a test fails.
"""
from __future__ import annotations

import os
import re

import nbformat
import pytest

from lab_browser import JupyterLabServer, LabPage, chrome, copy_notebooks
from notebook_helpers import NOTEBOOK_DIR, ROOT, display_calls

LESSON1 = "01-the-problem-attention-solves.ipynb"
LESSON4 = "04-multi-head-attention.ipynb"  # trains a GPT with `train` in the browser
ARTIFACTS = ROOT / "artifacts"

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory, venv_env):
    root = copy_notebooks(NOTEBOOK_DIR, tmp_path_factory.mktemp("lab-root"))
    server = JupyterLabServer(root, tmp_path_factory.mktemp("lab-state"), env=venv_env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    state = tmp_path_factory.mktemp("chromium")
    driver = chrome(state / "profile", log_path=state / "chromedriver.log")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def lesson1(lab_server, browser):
    """Lesson 1 opened and run to the end; the page's final state."""
    page = LabPage(browser, lab_server)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        opened = page.open_notebook(LESSON1)
        assert opened["kernelName"] == "attention", opened
        assert opened["kernelDisplayName"] == "Attention (Swift)", opened
        state = page.run_all()
    except BaseException:
        browser.save_screenshot(str(ARTIFACTS / "browser-lesson1-failure.png"))
        (ARTIFACTS / "browser-lesson1-jupyter-lab.log").write_text(lab_server.log())
        raise
    page.scroll_to(".jp-OutputArea-output table.heatmap-cells")
    browser.save_screenshot(str(ARTIFACTS / "browser-lesson1.png"))
    return page, state


def css_count(driver, css: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", css)


def test_every_cell_ran_without_error(lesson1):
    page, state = lesson1
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(NOTEBOOK_DIR / LESSON1, as_version=4).cells)
    assert state["codeCells"] == code_cells, state
    assert state["ran"] == code_cells and state["errors"] == [], state
    driver = page.driver
    assert css_count(driver, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') == 0
    assert css_count(driver, ".jp-OutputArea-output.jp-mod-error, .jp-OutputArea-child .jp-mod-error") == 0
    prompts = driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(p => p.textContent.trim())")
    assert prompts == [f"[{i}]:" for i in range(1, code_cells + 1)], prompts


def test_heatmaps_on_the_page(lesson1):
    page, _ = lesson1
    driver = page.driver
    calls = display_calls(nbformat.read(NOTEBOOK_DIR / LESSON1, as_version=4))
    assert css_count(driver, ".jp-OutputArea-output table.heatmap-cells") >= calls >= 1
    # heatmap cells are <td>s with a colour and a "query → key: value" tooltip, drawn with a real size
    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-OutputArea-output table.heatmap-cells td')).map(td => {"
        "  const r = td.getBoundingClientRect();"
        "  return [getComputedStyle(td).backgroundColor, td.title, r.width, r.height]; })")
    assert len(cells) > 36, len(cells)
    assert all(bg.startswith("rgb(") and w >= 4 and h >= 4 for bg, _, w, h in cells), cells[:5]
    assert all(" → " in title for _, title, _, _ in cells), cells[:5]
    captions = driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-OutputArea-output table.heatmap-cells caption b')).map(t => t.textContent)")
    assert "raw attention: softmax(X Xᵀ)" in captions, captions


def test_matrix_and_numbers_on_the_page(lesson1):
    page, _ = lesson1
    driver = page.driver
    # `W` (6×6 attention weights) is shown as an HTML table
    assert css_count(driver, ".jp-OutputArea-output table") >= 1
    text = page.outputs_text()
    for expected in ("every row of W sums to 1:", "after  attention, |bank_river - bank_money| =", "true"):
        assert expected in text, text[:3000]


def test_screenshot_saved(lesson1):
    path = ARTIFACTS / "browser-lesson1.png"
    assert path.exists() and path.stat().st_size > 20_000, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def lesson4(lab_server, browser, lesson1):
    """Lesson 4 opened and run to the end after lesson 1 (same server and browser)."""
    page = LabPage(browser, lab_server)
    try:
        opened = page.open_notebook(LESSON4)
        assert opened["kernelName"] == "attention", opened
        state = page.run_all(timeout=300)
    except BaseException:
        browser.save_screenshot(str(ARTIFACTS / "browser-lesson4-failure.png"))
        (ARTIFACTS / "browser-lesson4-jupyter-lab.log").write_text(lab_server.log())
        raise
    return page, state


def test_a_lesson_that_trains_runs_and_shows_the_trained_head(lesson4):
    page, state = lesson4
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(NOTEBOOK_DIR / LESSON4, as_version=4).cells)
    assert state["ran"] == code_cells and state["errors"] == [], state
    text = page.outputs_text()
    assert "loss:" in text, text[-3000:]
    trained = [float(x) for x in re.findall(r"previous-token score: untrained [0-9.e-]+\s+trained ([0-9.e-]+)", text)]
    assert len(trained) == 2 and min(trained) > 0.9, (trained, text[-3000:])
