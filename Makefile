# The two commands a newcomer needs (see README.md):
#   make lab    set up, build, install the kernel, open JupyterLab on notebooks/
#   make test   set up, build, run every test (Swift and Jupyter)
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
DEBUG_BIN := .build/debug/attention-kernel
RELEASE_BIN := .build/release/attention-kernel

.PHONY: setup setup-test build release dist install-debug install lab test test-swift test-jupyter fixtures bench bench-interp bench-train bench-widgets clean fuzz fuzz-short sanitize course grade-class induction induction-fast

# What a student needs (build dependencies and the .venv); setup-test adds Debian's
# chromium and chromedriver for the browser test.
setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

build:
	swift build

# The Swift runtime and FoundationEssentials linked in, and a fixed load address (-no-pie):
# no shared Swift libraries to load and no 46,000 relocations to apply at start-up, so the
# kernel binds its sockets a few milliseconds after launch with ~1.5 MiB less dirty memory
# (docs/ARCHITECTURE.md, "Start-up and memory").
RELEASE_FLAGS := -c release --static-swift-stdlib -Xlinker -no-pie

release:
	swift build $(RELEASE_FLAGS)

# A release tarball in dist/: the binary (kernelspec built in), docs/INSTALL.md as its
# README, the licence(s). Install it anywhere: docs/INSTALL.md.
dist: setup release
	bash scripts/dist.sh $(RELEASE_BIN) dist

# Tests run against the debug build (the one `swift test` already compiled).
install-debug: setup build
	$(DEBUG_BIN) install --prefix $(VENV)

install: setup release
	$(RELEASE_BIN) install --prefix $(VENV)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
lab: install
	jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

test: setup-test test-swift test-jupyter fuzz-short

# JUPYTER_PYTHON turns on the Swift end-to-end test that drives the server with jupyter_client.
test-swift: setup
	swift build --build-tests
	JUPYTER_PYTHON=$(PY) swift test --skip-build

# Two at a time (pytest-xdist, a test file per worker: the machine's two cores; most tests
# wait on a kernel or a Jupyter process half the time), then, alone, the files marked
# `serial` (interrupt deadlines, time ratios against ipykernel, floods).
test-jupyter: setup-test install-debug
	$(PY) -m pytest integration -q -n 2 --dist loadfile -m "not serial"
	$(PY) -m pytest integration -q -m serial

# Not part of `make test`: kernel start, round trips, memory, notebooks and multi_head
# against ipykernel and numpy, and student loops against CPython (bench/run_bench.py);
# prints a table, writes bench/latest.md.
bench: install
	swift build $(RELEASE_FLAGS) --product attention-bench
	$(PY) bench/run_bench.py
	$(PY) bench/run_training_bench.py

# Just the training table (train's AdamW step against JAX jit in the same run; bench/training.md).
bench-train: setup
	swift build $(RELEASE_FLAGS) --product attention-bench
	$(PY) bench/run_training_bench.py

# A slider's update -> the new 16×16 heatmap's display message, kernel side (the kernel's own
# message dates), the attention kernel's interact against ipykernel + ipywidgets + numpy doing
# the same job, in one run; prints a table (README, "Widgets"). Target: median <= 20 ms.
bench-widgets: install
	$(PY) bench/run_widgets_bench.py

# Just the interpreter table (bench/interpreter/*.attn against their CPython twins), about a
# minute; replaces only that section of bench/latest.md.
bench-interp: setup
	swift build $(RELEASE_FLAGS) --product attention-bench
	$(PY) bench/run_bench.py --interpreter-only

# Not part of `make test` (about two minutes): trains a 2-layer attention-only model on
# associative recall until an induction head forms, and asserts its score
# (scripts/induction_head.attn). `make test` keeps the small induction tests.
# It saves the model that lesson 6 loads (notebooks/src/induction-head.safetensors) and says
# whether it is bitwise the one committed.
induction: release
	@mkdir -p .build && cp notebooks/src/induction-head.safetensors .build/induction-head.committed.safetensors
	$(RELEASE_BIN) run scripts/induction_head.attn
	@if cmp -s notebooks/src/induction-head.safetensors .build/induction-head.committed.safetensors; then \
		echo "induction: the trained model is bitwise the committed notebooks/src/induction-head.safetensors"; \
	else echo "induction: the trained model differs from the committed one; run notebooks/src/build_notebooks.py to ship it"; fi

# The same circuit in under 20 s (scripts/induction_fast.attn): recall with two "echo" tokens
# that reward the layer-0 previous-token head from the start; d 32, batch 32, lr 0.01.
induction-fast: release
	time $(RELEASE_BIN) run scripts/induction_fast.attn

# A class on a real JupyterHub (PyPI) with Debian's configurable-http-proxy, on loopback:
# STUDENTS simulated students start their servers and run a lesson at once, with the
# attention kernel and then with ipykernel on the same lesson in numpy; prints students
# served right, p50/p99 cell latency and memory per student; artifacts/classroom.json.
# Several sizes sweep: make classroom STUDENTS="20 40 80" names the largest class with
# p99 <= 1 s per kernel (each kernel's sweep stops at the first size over it).
# (A small version runs in make test: integration/test_classroom.py.)
STUDENTS ?= 20
.PHONY: classroom
classroom: setup-test install
	mkdir -p artifacts
	$(PY) scripts/classroom.py --students $(STUDENTS) --json artifacts/classroom.json

# The language fuzzer (libFuzzer + AddressSanitizer, built apart in .build-fuzz): make fuzz SECONDS=600
SECONDS ?= 60
fuzz: setup
	bash scripts/fuzz.sh $(SECONDS)

fuzz-short: setup
	bash scripts/fuzz.sh 60

# The Swift tests under AddressSanitizer (.build-asan) and ThreadSanitizer (.build-tsan).
sanitize: setup
	bash scripts/sanitize.sh

fixtures: setup
	$(PY) scripts/make_fixtures.py
	$(PY) -m pip install -q -r scripts/fixtures-requirements.txt
	$(PY) scripts/make_gradient_fixtures.py

clean:
	rm -rf .build

# Every lesson executed and exported to HTML, heatmaps included: build-html/NN-name.html
# (git-ignored). Runs the debug kernel, like the tests.
.PHONY: html
html: install-debug
	jupyter nbconvert --to html --execute --output-dir build-html notebooks/[0-9][0-9]-*.ipynb

# One notebook executed and printed to PDF by headless chromium, heatmaps in colour
# (no TeX needed): make pdf NB=notebooks/01-the-problem-attention-solves.ipynb → build-pdf/NAME.pdf
.PHONY: pdf
pdf: install-debug
	@test -n "$(NB)" || { echo "usage: make pdf NB=notebooks/NN-name.ipynb" >&2; exit 2; }
	bash scripts/pdf.sh "$(NB)" build-pdf

# The LaTeX path, `jupyter nbconvert --to pdf`, with Debian's TeX (texlive-xetex and pandoc,
# a large install, hence not in `make test`): an executed lesson must embed every heatmap's PNG.
.PHONY: pdf-test
pdf-test: install-debug
	@command -v xelatex >/dev/null && command -v pandoc >/dev/null || { echo "pdf-test needs TeX: apt-get install texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc" >&2; exit 2; }
	ATTN_TEX_TESTS=1 $(PY) -m pytest integration/tex -q

# An nbgrader course for an instructor's own exercises (docs/INSTRUCTORS.md):
#   make course DIR=~/my-course [SRC=folder of NN-name.md] [ASSIGNMENT=week1]
# lays out DIR/source/ASSIGNMENT/NN-name.ipynb (default SRC: the template exercise in
# notebooks/template; without ASSIGNMENT each notebook NN is assignment lessonN), the
# folders nbgrader fills later, and a copy of nbgrader_config.py (kept if DIR has one).
# Run it again after editing the sources: it rewrites only source/.
SRC ?= notebooks/template
ASSIGNMENT ?=
# Class-wide grading: nbgrader autogrades N generated submissions in parallel (docs/CLASSROOM.md).
grade-class: setup-test install
	$(PY) scripts/grade_class.py --submissions $(or $(N),200) --workers $(or $(WORKERS),2)

course: setup
	@test -n "$(DIR)" || { echo "usage: make course DIR=PATH [SRC=folder of NN-name.md sources] [ASSIGNMENT=name]" >&2; exit 2; }
	$(PY) notebooks/src/build_notebooks.py "$(SRC)" --course "$(DIR)" $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")
	mkdir -p "$(DIR)/release" "$(DIR)/submitted" "$(DIR)/autograded" "$(DIR)/feedback"
	test -e "$(DIR)/nbgrader_config.py" || cp nbgrader_config.py "$(DIR)/nbgrader_config.py"
	@echo "course ready in $(DIR); next (docs/INSTRUCTORS.md): make install, then in $(DIR): nbgrader validate source/*/*.ipynb, nbgrader generate_assignment NAME"
