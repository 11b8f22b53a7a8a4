"""No orphan kernels: when the process that started the kernel dies (``kill -9``, as a
crashed Jupyter server dies), the kernel exits within seconds, as ipykernel does.

An intermediate Python process starts the kernel (with jupyter_client's KernelManager, as
a Jupyter server does, so ``JPY_PARENT_PID`` is set; or with a bare Popen and no
``JPY_PARENT_PID``; or through a shell left in between, so that ``JPY_PARENT_PID`` names
the grandparent), prints the kernel's pid and waits. The test kills the intermediate with
SIGKILL and watches the kernel's pid disappear.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from kernel_helpers import SNIPPETS, execute, wait_for_busy

# serial: deadlines and timings, run alone after the rest (conftest.py)
pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.serial]

GONE_WITHIN = 5.0  # seconds; the kernel checks twice a second

INTERMEDIATE = textwrap.dedent("""
    import json, os, subprocess, sys, time
    from jupyter_client import KernelManager
    from jupyter_client.connect import write_connection_file
    how, binary, connection_file = sys.argv[1:4]
    if how == "kernel-manager":
        km = KernelManager(kernel_name="attention", connection_file=connection_file)
        km.start_kernel()
        pid = km.provisioner.pid
    else:
        write_connection_file(connection_file, ip="127.0.0.1", key=os.urandom(16).hex().encode())
        env = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
        argv = [binary, "-f", connection_file]
        if how == "shell-between":
            # the shell stays the kernel's parent ("; true" stops it exec-ing the kernel)
            env["JPY_PARENT_PID"] = str(os.getpid())
            argv = ["/bin/sh", "-c", '"$0" -f "$1"; true', binary, connection_file]
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = child.pid
        if how == "shell-between":
            deadline = time.monotonic() + 10  # the kernel is the shell's child
            while time.monotonic() < deadline:
                kids = open(f"/proc/{child.pid}/task/{child.pid}/children").read().split()
                if kids:
                    pid = int(kids[0])
                    break
                time.sleep(0.02)
    print(json.dumps({"pid": pid, "self": os.getpid()}), flush=True)
    time.sleep(3600)
""")


def alive(pid: int) -> bool:
    """True while pid runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_gone(pid: int, timeout: float) -> float | None:
    """Seconds until pid is gone, or None if it still runs after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not alive(pid):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


@pytest.fixture
def started(attention_kernelspec, tmp_path, venv_env):
    """Starts the intermediate (``how``) and yields (intermediate, kernel pid, connection file)."""
    processes: list[subprocess.Popen] = []
    kernels: list[int] = []

    def start(how: str):
        connection_file = str(tmp_path / "kernel.json")
        intermediate = subprocess.Popen(
            [sys.executable, "-c", INTERMEDIATE, how, attention_kernelspec.argv[0], connection_file],
            env=venv_env, stdout=subprocess.PIPE, text=True)
        processes.append(intermediate)
        line = intermediate.stdout.readline()
        assert line, "the intermediate process did not start the kernel"
        pid = json.loads(line)["pid"]
        kernels.append(pid)
        assert alive(pid)
        return intermediate, pid, connection_file

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    for pid in kernels:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def client(connection_file: str) -> BlockingKernelClient:
    kc = BlockingKernelClient(connection_file=connection_file)
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return kc


@pytest.mark.parametrize("how", ["kernel-manager", "popen", "shell-between"])
def test_the_kernel_exits_when_its_starter_is_killed(started, how):
    intermediate, pid, connection_file = started(how)
    kc = client(connection_file)
    try:
        assert execute(kc, SNIPPETS.bind_x).status == "ok"
        # While the starter lives, the kernel stays (the watch is not trigger-happy).
        time.sleep(1.5)
        assert alive(pid)
        assert execute(kc, SNIPPETS.x_plus_1).result_text() == "42"
    finally:
        kc.stop_channels()
    intermediate.send_signal(signal.SIGKILL)
    # Not reaped yet on purpose: a dead but unreaped starter (a zombie) must count as gone.
    took = wait_gone(pid, GONE_WITHIN)
    assert took is not None, f"kernel {pid} still runs {GONE_WITHIN} s after its starter was killed ({how})"
    intermediate.wait()


def test_a_kernel_busy_in_an_endless_loop_exits_too(started):
    intermediate, pid, connection_file = started("kernel-manager")
    kc = client(connection_file)
    try:
        msg_id = kc.execute(SNIPPETS.endless)
        wait_for_busy(kc, msg_id)
        intermediate.send_signal(signal.SIGKILL)
        took = wait_gone(pid, GONE_WITHIN + 5)  # at most the 5 s grace for a cell that ignores interrupts
        assert took is not None, f"busy kernel {pid} outlived its starter"
    finally:
        kc.stop_channels()
        intermediate.wait()
