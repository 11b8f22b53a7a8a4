#!/usr/bin/env bash
# A notebook to PDF, heatmaps included, without TeX: execute it and export HTML with
# nbconvert, then print that page with headless chromium (Debian's, as the browser tests
# use). Heatmaps are HTML tables with inline colours marked print-color-adjust: exact,
# so the printed cells keep their colours.
#   scripts/pdf.sh notebooks/01-the-problem-attention-solves.ipynb [OUT_DIR]   (default build-pdf)
# Writes OUT_DIR/NAME.html and OUT_DIR/NAME.pdf. Set NO_EXECUTE=1 to export the saved
# outputs as they are (a notebook a student already ran).
set -euo pipefail
nb=${1:?usage: scripts/pdf.sh NOTEBOOK.ipynb [OUT_DIR]}
out=${2:-build-pdf}
chromium=${ATTENTION_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "pdf: $chromium is missing (apt-get install chromium, or set ATTENTION_CHROMIUM)" >&2; exit 1; }
[ -f "$nb" ] || { echo "pdf: no such notebook: $nb" >&2; exit 1; }
mkdir -p "$out"
name=$(basename "$nb" .ipynb)
execute=--execute
[ "${NO_EXECUTE:-}" = 1 ] && execute=
jupyter nbconvert --to html $execute --output-dir "$out" "$nb"
html=$(cd "$out" && pwd)/$name.html
pdf=$(cd "$out" && pwd)/$name.pdf
rm -f "$pdf"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --virtual-time-budget lets the page's scripts settle (the template's MathJax/require
# loads fail fast without a network) before chromium prints.
"$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$profile" --no-first-run --disable-extensions --disable-background-networking \
    --no-pdf-header-footer --virtual-time-budget=10000 --run-all-compositor-stages-before-draw \
    --print-to-pdf="$pdf" "file://$html" 2>"$profile/chromium.log" || {
    cat "$profile/chromium.log" >&2
    exit 1
}
[ -s "$pdf" ] || { echo "pdf: chromium wrote no PDF" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "$pdf"
