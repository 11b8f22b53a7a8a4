"""CurveZMQ transport encryption (jupyter_client 8.10's ``transport_encryption``).

The kernelspec declares ``metadata.supported_encryption: ["curve"]``, so a KernelManager
with ``transport_encryption="required"`` writes ``curve_publickey``/``curve_secretkey``
into the connection file and the kernel makes every socket, heartbeat included, a CURVE
server. Here:

* the whole jupyter_kernel_test suite under encryption (test_conformance's class, started
  with the keys);
* the interrupt, stdin, restart and shutdown tests of test_kernel_integration, collected
  again here with an encrypted ``kernel`` fixture;
* an eavesdropper on IOPub without the key receives nothing while a cell prints, where the
  same eavesdropper on a kernel without keys reads the output (so the check can fail);
* the ``ipc`` transport, with and without encryption.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import zmq
from jupyter_client.manager import KernelManager, start_new_kernel

import test_conformance as conformance
import test_kernel_integration as plain_tests
from conftest import KERNEL_NAME, fresh_history_env
from kernel_helpers import execute

# serial: deadlines and timings, run alone after the rest (conftest.py)
pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.serial]

def start(**kwargs):
    return start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, **kwargs)


# --- the conformance suite, encrypted ----------------------------------------------------


class EncryptedKernelTests(conformance.AttentionKernelTests):
    @classmethod
    def setUpClass(cls) -> None:
        cls.km, cls.kc = start(transport_encryption="required", env=fresh_history_env(cls.__name__))
        assert cls.km.curve_publickey and cls.km.curve_secretkey

    def test_zz_connection_file_carries_the_keys(self):
        info = json.loads(Path(self.km.connection_file).read_text())
        assert len(info["curve_publickey"]) == 40 and len(info["curve_secretkey"]) == 40


def test_the_encrypted_suite_runs_every_conformance_test():
    import unittest

    names = set(unittest.TestLoader().getTestCaseNames(EncryptedKernelTests))
    assert names >= set(unittest.TestLoader().getTestCaseNames(conformance.AttentionKernelTests))


# --- interrupt, stdin, restart, shutdown, encrypted -------------------------------------------


@pytest.fixture
def kernel():
    """test_kernel_integration's ``kernel``, with CurveZMQ keys."""
    km, kc = start(transport_encryption="required")
    assert km.curve_publickey is not None
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


test_interrupt_keeps_state = plain_tests.test_interrupt_keeps_state
test_interrupt_while_idle_is_harmless = plain_tests.test_interrupt_while_idle_is_harmless
test_heartbeat_and_control_answer_during_long_cell = plain_tests.test_heartbeat_and_control_answer_during_long_cell
test_restart_gives_new_session = plain_tests.test_restart_gives_new_session
test_input_request_round_trip = plain_tests.test_input_request_round_trip
test_input_without_stdin_fails_clearly = plain_tests.test_input_without_stdin_fails_clearly
test_shutdown_exits_promptly = plain_tests.test_shutdown_exits_promptly


# --- eavesdropping -------------------------------------------------------------------------


def eavesdrop(km: KernelManager, kc, seconds: float = 3.0) -> list[list[bytes]]:
    """Connects a plain SUB socket (no key) to the kernel's IOPub, runs a printing cell, and
    returns every multipart message the eavesdropper received meanwhile."""
    info = km.get_connection_info()
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.linger = 0
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
    try:
        time.sleep(0.5)  # let the subscription reach the kernel, as a patient eavesdropper would
        cell = execute(kc, 'for k in 0..<20 { print("top secret") }')
        assert cell.status == "ok", cell.content
        assert "top secret" in cell.stream("stdout")  # the legitimate client reads it
        got: list[list[bytes]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if sub.poll(100):
                got.append(sub.recv_multipart())
        return got
    finally:
        sub.close()
        context.term()


def test_an_eavesdropper_without_the_key_reads_nothing():
    km, kc = start(transport_encryption="required")
    try:
        got = eavesdrop(km, kc)
        assert got == [], f"an eavesdropper without the key received {len(got)} messages"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_without_keys_an_eavesdropper_reads_everything():
    """The control: without transport encryption (as before), IOPub is readable by anyone
    who reaches the port, so the eavesdropper above would have seen the output."""
    km, kc = start()
    try:
        assert km.curve_publickey is None
        assert "curve_publickey" not in json.loads(Path(km.connection_file).read_text())
        got = eavesdrop(km, kc)
        assert any(b"top secret" in frame for message in got for frame in message), got
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# --- ipc -------------------------------------------------------------------------------


@pytest.mark.parametrize("encryption", ["disabled", "required"])
def test_ipc_transport(tmp_path, monkeypatch, encryption):
    monkeypatch.chdir(tmp_path)  # jupyter_client puts the ipc files beside the working directory
    km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc")
    km.start_kernel(transport_encryption=encryption)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        sockets = [Path(f"{info['ip']}-{info[key]}") for key in
                   ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
        assert all(path.is_socket() for path in sockets), sockets
        first = execute(kc, "x = 41\nprint(\"over ipc\")\nx + 1")
        assert first.status == "ok", first.content
        assert first.result_text() == "42" and first.stream("stdout") == "over ipc\n"
        assert kc.is_alive()
        # the kernel listens on no TCP port of its own
        kernel_pid = km.provisioner.pid
        inodes = {os.readlink(f"/proc/{kernel_pid}/fd/{fd}") for fd in os.listdir(f"/proc/{kernel_pid}/fd")}
        tcp_listeners = [line for line in Path(f"/proc/{kernel_pid}/net/tcp").read_text().splitlines()[1:]
                         if line.split()[3] == "0A" and f"socket:[{line.split()[9]}]" in inodes]
        assert tcp_listeners == []
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
