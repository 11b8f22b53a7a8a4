"""How the kernel starts: what it loads, how it is launched, and what it defers.

Start-up speed and idle memory are benchmark targets (`make bench`), not timed tests.
These tests pin down the design that makes them possible, so a change that undoes it
fails here rather than quietly in the next benchmark table:

* the kernel binary does not load Foundation (only FoundationEssentials) or ICU, whose
  start-up and resident memory cost more than the rest of the kernel together;
* OpenBLAS is not loaded at start-up, and is loaded by the first large product, whose
  result is right;
* kernel.json's exact form `attention-kernel -f FILE` (served without the command-line
  parser) and the parsed forms `kernel -f FILE` behave the same, errors included;
* under an address-space limit too small for the 512 MiB evaluation stack (`ulimit -v`,
  as some hosted Jupyter services set), the kernel starts and cells run on the 32 MiB
  fallback stack, recursion to the default call-depth limit included.
"""
from __future__ import annotations

import os
import resource
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient, KernelManager
from jupyter_client.connect import write_connection_file

from kernel_helpers import execute, shell_reply

pytestmark = pytest.mark.usefixtures("attention_kernelspec")


@pytest.fixture(scope="module")
def binary(attention_kernelspec) -> str:
    return attention_kernelspec.argv[0]


def loaded_libraries(binary: str) -> list[str]:
    done = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def test_the_kernel_loads_neither_foundation_nor_icu_nor_openblas(binary):
    libraries = loaded_libraries(binary)
    assert any("libzmq" in lib for lib in libraries), libraries  # the check reads real ldd output
    unwanted = [lib for lib in libraries
                if lib.startswith(("libFoundation.so", "libFoundationInternationalization", "lib_FoundationICU", "libopenblas"))]
    assert unwanted == [], f"{binary} loads {unwanted} at start-up"


def mapped(pid: int, name: str) -> bool:
    return name in Path(f"/proc/{pid}/maps").read_text()


def test_openblas_is_loaded_by_the_first_large_product_only():
    km = KernelManager(kernel_name="attention")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        pid = km.provisioner.pid
        small = execute(kc, "let S = [1, 2; 3, 4] @ [5, 6; 7, 8]\nS")
        assert small.status == "ok", small.content
        assert "19  22" in small.result_text() and "43  50" in small.result_text()
        assert not mapped(pid, "libopenblas"), "a 2×2 product should not need OpenBLAS"
        # 64×64·64×64 is above the BLAS threshold; A·I = A checks the result exactly.
        large = execute(kc, "let A = randn(64, 64, seed: 3)\nlet B = A @ eye(64)\nmax(abs(B - A))")
        assert large.status == "ok", large.content
        assert large.result_text() == "0"
        assert mapped(pid, "libopenblas"), "the large product did not go through OpenBLAS"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@contextmanager
def kernel_process(binary: str, arguments: list[str], tmp_path: Path, preexec_fn=None, env=None):
    """The kernel binary started by hand with ``arguments`` and a fresh connection file (as
    Jupyter starts it), and a client that saw it ready; both stopped afterwards, whatever
    happens. The kernel's stderr goes to tmp_path/kernel-stderr.log."""
    connection_file = str(tmp_path / "kernel.json")
    write_connection_file(connection_file, ip="127.0.0.1", key=os.urandom(16).hex().encode())
    with open(tmp_path / "kernel-stderr.log", "wb") as log:
        process = subprocess.Popen([binary, *arguments, connection_file], stdout=subprocess.DEVNULL, stderr=log,
                                   preexec_fn=preexec_fn, env=env)
        kc = BlockingKernelClient(connection_file=connection_file)
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            yield process, kc
        finally:
            kc.stop_channels()
            if process.poll() is None:
                process.kill()
                process.wait()


def shut_down(process: subprocess.Popen, kc: BlockingKernelClient) -> None:
    """A shutdown_request on control is answered ok and the process exits with 0."""
    msg_id = kc.shutdown()
    reply = kc.control_channel.get_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("form", [["-f"], ["kernel", "-f"]], ids=["kernel.json form", "parsed form"])
def test_both_launch_forms_serve_the_kernel(binary, tmp_path, form):
    with kernel_process(binary, form, tmp_path) as (process, kc):
        reply = shell_reply(kc, kc.kernel_info())
        assert reply["content"]["implementation"] == "attention-kernel"
        shut_down(process, kc)


@pytest.mark.parametrize("form", [["-f"], ["kernel", "-f"]], ids=["kernel.json form", "parsed form"])
def test_a_missing_connection_file_is_a_clear_error_in_both_forms(binary, tmp_path, form):
    missing = str(tmp_path / "absent.json")
    done = subprocess.run([binary, *form, missing], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert f"cannot read connection file: {missing}" in done.stderr


def test_under_an_address_space_limit_cells_run_on_the_fallback_stack(binary, tmp_path):
    limit = 700 << 20  # room for the shell thread's 256 MiB stack, not for another 512 MiB

    def limit_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with kernel_process(binary, ["-f"], tmp_path, preexec_fn=limit_address_space) as (process, kc):
        bound = execute(kc, "x = 41\nx + 1")
        assert bound.status == "ok", bound.content
        assert bound.result_text() == "42"
        deep = execute(kc, "func down(n) {\n  if n == 0 { return 0 }\n  return down(n - 1) + 1\n}\ndown(199)")
        assert deep.status == "ok" and deep.result_text() == "199", deep.content
        shut_down(process, kc)


def test_attn_log_debug_logs_start_up_and_every_message(binary, tmp_path):
    """ATTN_LOG=debug (docs/INSTALL.md, "Logs"): start-up and each message in the server's log."""
    env = {**os.environ, "ATTN_LOG": "debug"}
    with kernel_process(binary, ["-f"], tmp_path, env=env) as (process, kc):
        msg_id = kc.kernel_info()
        shell_reply(kc, msg_id)
        shut_down(process, kc)
    log = (tmp_path / "kernel-stderr.log").read_text()
    assert f"pid {process.pid}: tcp on 127.0.0.1" in log and "encryption: none" in log, log
    assert f"received kernel_info_request on shell (msg_id {msg_id})" in log, log
    assert f"sent kernel_info_reply on shell (parent {msg_id})" in log, log
    assert "received shutdown_request on control" in log, log


def test_without_attn_log_the_log_stays_quiet(binary, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ATTN_LOG"}
    with kernel_process(binary, ["-f"], tmp_path, env=env) as (process, kc):
        shell_reply(kc, kc.kernel_info())
        shut_down(process, kc)
    assert (tmp_path / "kernel-stderr.log").read_text() == ""
