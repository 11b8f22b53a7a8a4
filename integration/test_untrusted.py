"""Heatmaps in a notebook that is not trusted, as students get them from a teacher or a
classmate: lessons executed headless (`jupyter nbconvert --to notebook --execute`), then
opened in a real JupyterLab in headless chromium WITHOUT running them. JupyterLab then
never renders image/svg+xml and sanitizes text/html; every heatmap and head grid must
still be drawn as coloured table cells (or a loaded PNG), not as a run of text.

The notebook setting windowingMode is "none" so that every cell is in the page.
"""
from __future__ import annotations

import base64
import json
import shutil
import struct
import zlib

import nbformat
import pytest

from lab_browser import JupyterLabServer, LabPage, chrome, wait_for
from notebook_helpers import NOTEBOOK_DIR, ROOT, describe, run, venv_tool

# lesson 1 (single heatmaps) and lesson 4 (head grids)
LESSONS = ["01-the-problem-attention-solves.ipynb", "04-multi-head-attention.ipynb"]
ARTIFACTS = ROOT / "artifacts"

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(600)]


def png_size(b64: str) -> tuple[int, int]:
    """Checks a PNG with zlib (every chunk CRC, the IDAT stream inflated to the size the
    header implies for 8-bit RGB) and returns its width and height."""
    data = base64.b64decode(b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x02", "8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert size is not None
    raw = zlib.decompress(idat)
    assert len(raw) == size[1] * (size[0] * 3 + 1), (len(raw), size)
    return size


def heatmap_outputs(nb) -> list[dict]:
    """The outputs of the saved notebook that are heatmaps or head grids."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            if 'class="attention-heatmap"' in html or 'class="attention-heads"' in html:
                found.append(out)
    return found


@pytest.fixture(scope="module")
def executed(tmp_path_factory, executed_lessons):
    """The lessons as `nbconvert --to notebook --execute` left them (run once for the
    whole test run), copied into the folder JupyterLab serves."""
    root = tmp_path_factory.mktemp("untrusted-root")
    for name in LESSONS:
        proc, out = executed_lessons.get(NOTEBOOK_DIR / name)
        assert proc.returncode == 0, describe(proc)
        shutil.copy(out, root / name)
    return root


@pytest.fixture(scope="module")
def lab(executed, tmp_path_factory, venv_env):
    state = tmp_path_factory.mktemp("untrusted-state")
    settings = state / "lab-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"windowingMode": "none"}))
    env = dict(venv_env)
    env["JUPYTER_DATA_DIR"] = str(state / "data")  # a fresh signature store: nothing is trusted
    server = JupyterLabServer(executed, state, env=env)
    driver = None
    try:
        server.start()
        driver = chrome(state / "profile", log_path=state / "chromedriver.log")
        yield LabPage(driver, server)
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


_JS_HEATMAPS = """
const w = window.jupyterapp.shell.currentWidget;
const cells = w.content.widgets.filter(c => c.model.type === 'code');
const withOutputs = cells.filter(c => c.model.outputs.length > 0);
// only this notebook's panel: the lesson opened before stays in a hidden tab
const figures = Array.from(w.node.querySelectorAll('.jp-OutputArea-output'))
  .filter(o => o.querySelector('.attention-heatmap, .attention-heads'));
return {
  withOutputs: withOutputs.length,
  untrusted: withOutputs.filter(c => c.model.trusted === false).length,
  svgs: w.node.querySelectorAll('.jp-OutputArea-output svg').length,
  figures: figures.map(o => {
    const tds = Array.from(o.querySelectorAll('table.heatmap-cells td'));
    const imgs = Array.from(o.querySelectorAll('img'));
    return {
      mime: o.getAttribute('data-mime-type'),
      tables: o.querySelectorAll('table.heatmap-cells').length,
      cells: tds.map(td => {
        const r = td.getBoundingClientRect();
        return [getComputedStyle(td).backgroundColor, td.title, r.width, r.height];
      }),
      key: o.querySelectorAll('table.colour-key td[title]').length,
      labels: Array.from(o.querySelectorAll('table.heatmap-cells th')).map(th => th.textContent).filter(t => t),
      images: imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight]),
    };
  }),
};
"""


@pytest.mark.parametrize("name", LESSONS)
def test_heatmaps_draw_in_an_untrusted_notebook(lab, executed, name):
    nb = nbformat.read(executed / name, as_version=4)
    saved = heatmap_outputs(nb)
    assert saved, f"{name}: no heatmap in the executed notebook"
    for out in saved:
        assert "image/svg+xml" not in out["data"], "untrusted viewers never draw SVG"
        width, height = png_size(out["data"]["image/png"])  # a PNG for LaTeX/PDF and image-only viewers
        assert width >= 60 and height >= 60, (width, height)

    lab.open_notebook(name)

    def drawn():
        s = lab.driver.execute_script(_JS_HEATMAPS)
        return s if len(s["figures"]) >= len(saved) else None

    try:
        state = wait_for(f"{len(saved)} heatmaps on the page", drawn, 60)
    except AssertionError:
        ARTIFACTS.mkdir(exist_ok=True)
        lab.driver.save_screenshot(str(ARTIFACTS / f"untrusted-{name}.png"))
        raise
    assert state["withOutputs"] > 0 and state["untrusted"] == state["withOutputs"], (
        f"the executed notebook should open untrusted: {state['untrusted']} of {state['withOutputs']} cells")
    assert state["svgs"] == 0
    assert len(state["figures"]) == len(saved)
    for i, fig in enumerate(state["figures"]):
        where = f"{name}, heatmap {i}"
        assert fig["mime"] == "text/html", where
        assert fig["tables"] >= 1, where
        cells = fig["cells"]
        assert len(cells) >= 4, (where, len(cells))
        colours = {bg for bg, *_ in cells}
        # drawn: an opaque colour on every cell, more than one colour, a real size, a tooltip
        assert all(bg.startswith("rgb(") for bg in colours), (where, colours)
        assert len(colours) >= 2, (where, colours)
        assert all(w >= 2 and h >= 2 for _, _, w, h in cells), (where, cells[:4])
        assert all(" → " in title for _, title, _, _ in cells), (where, cells[:4])
        assert fig["key"] >= 2, f"{where}: no colour key"
        assert fig["labels"], f"{where}: no token labels"
        for complete, nw, nh in fig["images"]:
            assert complete and nw > 0 and nh > 0, where


def test_the_help_link_is_served(lab):
    """kernel_info's help_links point at /kernelspecs/attention/language-reference.html,
    which the Jupyter server serves from the installed kernelspec."""
    import urllib.request

    with urllib.request.urlopen(lab.server.url("kernelspecs/attention/language-reference.html"), timeout=10) as r:
        assert r.status == 200
        page = r.read().decode("utf-8")
    assert "Attention language reference" in page and "softmax" in page
