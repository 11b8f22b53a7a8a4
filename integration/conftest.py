"""Shared set-up for the Jupyter integration tests of the attention kernel.

Run from the repository root:  .venv/bin/python -m pytest integration -q

* ``attention_kernelspec`` (session): stops the run with a clear message when the
  kernelspec ``attention`` is not installed (``attention-kernel install --sys-prefix``
  from the virtual environment).
* Every test gets a timeout (pytest-timeout) unless it sets its own: a hung kernel must
  fail the test, not the CI job.
* A skipped test (or skipped subtest) makes the run fail: jupyter_kernel_test skips
  whatever a kernel does not declare, and a silent skip would hide a missing feature.
* The kernels the run starts keep their input history in a temporary file
  (``ATTN_HISTORY``), never in the user's Jupyter data directory: a history left by
  another run (or another test) would change what a history search finds.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

KERNEL_NAME = os.environ.get("INTEGRATION_KERNEL", "attention")  # python3: harness self-check
DISPLAY_NAME = "Attention (Swift)"
LANGUAGE = "attention"
DEFAULT_TIMEOUT = int(os.environ.get("ATTENTION_TEST_TIMEOUT", "120"))

# integration/tex needs TeX (a large install): only `make pdf-test` collects it.
collect_ignore = [] if os.environ.get("ATTN_TEX_TESTS") == "1" else ["tex"]

# Set at import, before any test starts a kernel; the directory goes with the process.
_HISTORY_DIR = tempfile.TemporaryDirectory(prefix="attn-history-")
os.environ["ATTN_HISTORY"] = str(Path(_HISTORY_DIR.name) / "history.jsonl")


def fresh_history_env(name: str) -> dict[str, str]:
    """The process environment with an input history of its own (an empty file named
    after ``name``), for a kernel whose test counts what the history holds."""
    env = dict(os.environ)
    env["ATTN_HISTORY"] = str(Path(_HISTORY_DIR.name) / f"{name}.jsonl")
    return env


# The virtual environment running pytest; its bin goes first on PATH for subprocesses.
VENV_BIN = Path(sys.prefix) / "bin"


def kernelspec_problem() -> str | None:
    """None when the attention kernelspec is installed and usable, else why not."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        found = ", ".join(sorted(ksm.find_kernel_specs())) or "none"
        return (
            f"the Jupyter kernelspec {KERNEL_NAME!r} is not installed (found: {found}).\n"
            f"Install it into this environment first, e.g.\n"
            f"    swift build -c release && .build/release/attention-kernel install --prefix {sys.prefix}\n"
            f"and check with: {VENV_BIN}/jupyter kernelspec list"
        )
    if spec.argv and os.path.isabs(spec.argv[0]) and not os.access(spec.argv[0], os.X_OK):
        return f"kernelspec {KERNEL_NAME!r} runs {spec.argv[0]}, which is not an executable file"
    return None


@pytest.fixture(scope="session")
def attention_kernelspec():
    problem = kernelspec_problem()
    if problem:
        pytest.exit(problem, returncode=1)
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager().get_kernel_spec(KERNEL_NAME)


@pytest.fixture(scope="session")
def venv_env() -> dict[str, str]:
    """The environment for subprocesses: the venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@pytest.fixture(scope="session")
def executed_lessons(tmp_path_factory, venv_env):
    """The lessons executed headless, each once per run (see notebook_helpers.ExecutedLessons)."""
    from notebook_helpers import ExecutedLessons

    return ExecutedLessons(tmp_path_factory.mktemp("executed-lessons"), venv_env, timeout=300)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT))


# --- no skips allowed ---------------------------------------------------------------

_skipped: list[str] = []
# Lines a test asks to show in the run's summary (`record_property("summary", line)`): a
# test's own printing is not shown when pytest-xdist runs it in a worker, its reports are.
_summaries: list[str] = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "serial: measures time or deadlines; `make test` runs these after the others, alone "
        "(the rest run two at a time with pytest-xdist)")


def pytest_runtest_logreport(report):
    if report.when == "call":  # the teardown report carries the same properties again
        _summaries.extend(value for name, value in report.user_properties if name == "summary")
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        context = getattr(report, "context", None)  # pytest subtests
        where = report.nodeid + (f" [{context.msg or context.kwargs}]" if context is not None else "")
        _skipped.append(f"{where}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in _summaries:
        terminalreporter.write_line(line)
    if _skipped:
        terminalreporter.section("skipped tests are failures here", sep="=", red=True, bold=True)
        for line in _skipped:
            terminalreporter.write_line(f"SKIPPED: {line}", red=True)
