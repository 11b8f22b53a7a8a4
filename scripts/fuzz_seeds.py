#!/usr/bin/env python3
"""Writes the language fuzzer's seed corpus into OUT_DIR (one file per seed):

* every golden program under Tests/AttentionLanguageTests/Golden, whole and cell by cell
  (cells are separated by a line ``// ---- cell``);
* every notebook's code cells, one by one and all of a notebook's cells joined (later
  cells use the bindings of earlier ones);
* the committed hand-written seeds and crash regressions in Fuzz/LanguageFuzzer/seeds.

Standard library only. File names are content hashes, so re-running is idempotent.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEPARATOR = "\n// ---- cell\n"


def seeds() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "Tests/AttentionLanguageTests/Golden").glob("*.attn")):
        text = path.read_text(encoding="utf-8")
        out.append(text)
        out.extend(text.split(SEPARATOR))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = []
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else source)
        out.extend(cells)
        out.append("\n".join(cells))
    for path in sorted((ROOT / "Fuzz/LanguageFuzzer/seeds").glob("*")):
        if path.is_file():
            out.append(path.read_bytes().decode("utf-8", errors="surrogateescape"))
    return [s for s in out if s.strip()]


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} OUT_DIR", file=sys.stderr)
        return 2
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for text in seeds():
        data = text.encode("utf-8", errors="surrogateescape")
        name = hashlib.sha1(data).hexdigest()
        (target / name).write_bytes(data)
        count += 1
    print(f"fuzz: {count} seeds in {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
