#!/usr/bin/env python3
"""Screenshot of lesson 1 in JupyterLab with its first heatmap: docs/screenshot-lesson1.png.

Starts `jupyter lab` on a free loopback port with a copy of notebooks/, opens lesson 1 in
Debian's headless chromium, runs all cells, scrolls to the first heatmap and saves a
1400×1000 capture. Needs scripts/setup.sh and the installed kernel (`make install-debug`):

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot-lesson1.png] [--notebook NAME]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "integration"))

from lab_browser import JupyterLabServer, LabPage, chrome, copy_notebooks  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot-lesson1.png"))
    ap.add_argument("--notebook", default="01-the-problem-attention-solves.ipynb")
    ap.add_argument("--heatmap", type=int, default=0, help="which heatmap to scroll to (0 = first)")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1000)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="attention-screenshot-") as tmp:
        tmp = Path(tmp)
        root = copy_notebooks(ROOT / "notebooks", tmp / "notebooks")
        (tmp / "state").mkdir()
        with JupyterLabServer(root, tmp / "state") as server:
            driver = chrome(tmp / "profile", args.width, args.height)
            try:
                page = LabPage(driver, server)
                page.open_notebook(args.notebook)
                page.run_all()
                # the heatmap's code cell at the top, its picture below it
                found = driver.execute_script(
                    """const svg = document.querySelectorAll('.jp-OutputArea-output table.heatmap-cells')[arguments[0]];
                       if (!svg) return false;
                       const cell = svg.closest('.jp-Cell');
                       (cell || svg).scrollIntoView({block: 'start'});
                       return true;""", args.heatmap)
                if not found:
                    print(f"no heatmap #{args.heatmap} in {args.notebook}", file=sys.stderr)
                    return 1
                driver.execute_script(
                    """const svg = document.querySelectorAll('.jp-OutputArea-output table.heatmap-cells')[arguments[0]];
                       const cell = svg.closest('.jp-Cell');
                       const scroller = svg.closest('.jp-WindowedPanel-outer') || document.scrollingElement;
                       (cell || svg).scrollIntoView({block: 'start'});
                       scroller.scrollTop = Math.max(0, scroller.scrollTop - 80);""", args.heatmap)
                driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")
                out = Path(args.out)
                out.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(out))
            finally:
                driver.quit()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
