"""The attention kernel through jupyter_client: interrupts, aborts, heartbeat and control
during a long cell, signatures, restarts, completion offsets, execution counts, errors,
stdin, shutdown. Each test gets its own kernel.

Self-check of the harness against ipykernel: INTEGRATION_KERNEL=python3.
"""
from __future__ import annotations

import os
import re
import signal
import time
from queue import Empty

import pytest
import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

from kernel_helpers import ATTENTION, SNIPPETS as S, execute, iopub_until_idle, shell_reply, wait_for_busy

IS_ATTENTION = S is ATTENTION
INTERRUPT_DEADLINE = float(os.environ.get("ATTENTION_INTERRUPT_DEADLINE", "2.0"))  # seconds; spec says ~1 s
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# serial: deadlines and timings, run alone after the rest (conftest.py)
pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.serial]


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name=S.kernel_name, startup_timeout=60)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def plain(text: str) -> str:
    return ANSI.sub("", text)


def interrupt(km, kc, how: str) -> None:
    if how == "interrupt_kernel":  # what JupyterLab and nbclient call
        if IS_ATTENTION:
            assert km.kernel_spec.interrupt_mode == "message", "kernel.json should say interrupt_mode: message"
        km.interrupt_kernel()
    elif how == "control_message":
        msg = kc.session.msg("interrupt_request", {})
        kc.control_channel.send(msg)
        reply = kc.get_control_msg(timeout=5)
        assert reply["msg_type"] == "interrupt_reply"
        assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
        assert reply["content"]["status"] == "ok"
    elif how == "sigint_group":  # jupyter_client's signal path: the process group
        km.signal_kernel(signal.SIGINT)
    elif how == "sigint_pid":
        os.kill(km.provisioner.pid, signal.SIGINT)
    else:
        raise ValueError(how)


def assert_result(ex, text: str) -> None:
    assert ex.status == "ok", (ex.content, ex.iopub)
    assert ex.result_text() == text, ex.iopub


# --- interrupts ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["interrupt_kernel", "control_message", "sigint_group", "sigint_pid"])
def test_interrupt_keeps_state(kernel, how):
    km, kc = kernel
    assert_result(execute(kc, S.bind_x + "\n" + S.x_plus_1), "42")
    for attempt in range(2):  # the second interrupt must work as well as the first
        msg_id = kc.execute(S.endless)
        wait_for_busy(kc, msg_id)
        time.sleep(1.0)
        with pytest.raises(TimeoutError):  # still running: it really is endless
            shell_reply(kc, msg_id, timeout=0.2)
        t0 = time.monotonic()
        interrupt(km, kc, how)
        reply = shell_reply(kc, msg_id, timeout=15)
        elapsed = time.monotonic() - t0
        assert reply["content"]["status"] == "error", reply["content"]
        assert reply["content"]["ename"] == S.interrupted, reply["content"]
        assert elapsed < INTERRUPT_DEADLINE, f"interrupt took {elapsed:.2f} s (attempt {attempt + 1})"
        iopub = iopub_until_idle(kc, msg_id, timeout=5)
        errors = [m for m in iopub if m["msg_type"] == "error"]
        assert len(errors) == 1 and errors[0]["content"]["ename"] == S.interrupted, iopub
        assert not [m for m in iopub if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
        assert km.is_alive()
        assert_result(execute(kc, S.x_plus_1), "42")
        assert_result(execute(kc, S.i_positive), S.true_text)  # bindings made before the interrupt survive


@pytest.mark.parametrize("how", ["control_message", "sigint_group"])
def test_interrupt_while_idle_is_harmless(kernel, how):
    km, kc = kernel
    interrupt(km, kc, how)
    time.sleep(0.5)
    assert km.is_alive()
    assert_result(execute(kc, S.one), "1")  # a stale interrupt flag must not kill the next cell
    assert_result(execute(kc, S.two), "2")


def test_heartbeat_and_control_answer_during_long_cell(kernel):
    km, kc = kernel
    msg_id = kc.execute(S.endless)
    wait_for_busy(kc, msg_id)
    time.sleep(1.5)  # more than the heartbeat's time_to_dead (1 s)
    for _ in range(4):
        assert kc.hb_channel.is_beating(), "heartbeat stopped while a cell runs"
        time.sleep(0.5)
    for _ in range(2):
        req = kc.session.msg("kernel_info_request")
        kc.control_channel.send(req)
        reply = kc.get_control_msg(timeout=2)
        assert reply["msg_type"] == "kernel_info_reply"
        assert reply["parent_header"]["msg_id"] == req["header"]["msg_id"]
        assert reply["content"]["status"] == "ok"
    with pytest.raises(TimeoutError):
        shell_reply(kc, msg_id, timeout=0.2)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=15)
    assert reply["content"]["ename"] == S.interrupted


# --- stop_on_error -----------------------------------------------------------------------


def test_stop_on_error_aborts_queued_cells(kernel):
    km, kc = kernel
    # The failing cell first loops for a moment, so the two cells after it are surely
    # queued when it fails: stop_on_error aborts what is queued at the error (as ipykernel).
    ids = [kc.execute(S.slow_undefined), kc.execute(S.bind_y), kc.execute(S.use_y)]
    replies = [shell_reply(kc, i) for i in ids]
    assert replies[0]["content"]["status"] == "error"
    assert replies[0]["content"]["ename"] == S.name_error
    assert [r["content"]["status"] for r in replies[1:]] == ["aborted", "aborted"], [r["content"] for r in replies]
    for i in ids:  # every request, aborted ones included, is wrapped in busy/idle
        states = [m["content"]["execution_state"] for m in iopub_until_idle(kc, i, timeout=5)
                  if m["msg_type"] == "status"]
        assert states[0] == "busy" and states[-1] == "idle"
    # the queue has drained: new cells run again, and the aborted binding never happened
    after = execute(kc, S.use_y)
    assert after.status == "error" and after.content["ename"] == S.name_error
    assert_result(execute(kc, S.one), "1")


def test_stop_on_error_false_runs_queued_cells(kernel):
    km, kc = kernel
    ids = [kc.execute(S.undefined, stop_on_error=False), kc.execute(S.bind_y), kc.execute(S.use_y)]
    replies = [shell_reply(kc, i) for i in ids]
    assert [r["content"]["status"] for r in replies] == ["error", "ok", "ok"], [r["content"] for r in replies]
    iopub = iopub_until_idle(kc, ids[2])
    results = [m for m in iopub if m["msg_type"] == "execute_result"]
    assert results and results[-1]["content"]["data"]["text/plain"] == "2"


# --- wire security -----------------------------------------------------------------------


def _raw_shell_socket(km):
    info = km.get_connection_info()
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    return session, sock


def _tampered(session: Session, how: str) -> list[bytes]:
    frames = session.serialize(session.msg("kernel_info_request", {}))
    delim = frames.index(b"<IDS|MSG>")
    sig = delim + 1
    if how == "wrong_hmac":
        frames[sig] = bytes(reversed(frames[sig]))
    elif how == "zero_hmac":
        frames[sig] = b"0" * len(frames[sig])
    elif how == "empty_hmac":
        frames[sig] = b""
    elif how == "changed_content":  # signature of the original, content altered afterwards
        frames[sig + 4] = b'{"changed": true}'
    else:
        raise ValueError(how)
    return frames


@pytest.mark.parametrize("how", ["wrong_hmac", "zero_hmac", "empty_hmac", "changed_content"])
def test_bad_signature_is_dropped(kernel, how):
    km, kc = kernel
    session, sock = _raw_shell_socket(km)
    try:
        assert session.key, "the connection file should carry a signing key"
        sock.send_multipart(_tampered(session, how))
        assert sock.poll(1000) == 0, "the kernel answered a message with a bad signature"
        assert km.is_alive()
        # positive control over the same raw socket: a properly signed request is answered
        good = session.msg("kernel_info_request", {})
        sock.send_multipart(session.serialize(good))
        assert sock.poll(5000) != 0, "no reply to a properly signed raw request"
        _, frames = session.feed_identities(sock.recv_multipart())
        reply = session.deserialize(frames)  # checks the kernel's own signature
        assert reply["header"]["msg_type"] == "kernel_info_reply"
        assert reply["parent_header"]["msg_id"] == good["header"]["msg_id"]
    finally:
        sock.close()
    assert_result(execute(kc, S.one), "1")


# --- restarts ------------------------------------------------------------------------------


def test_restart_gives_new_session(kernel):
    km, kc = kernel
    first = execute(kc, S.bind_x)
    session_before = first.reply["header"]["session"]
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=10)
    assert info["header"]["session"] == session_before, "one kernel run keeps one session id"
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    after = execute(kc, S.x_plus_1)
    assert after.reply["header"]["session"] != session_before, "a restarted kernel needs a new session id"
    assert after.status == "error" and after.content["ename"] == S.name_error, "state must not survive a restart"
    assert_result(execute(kc, S.one), "1")


# --- completion offsets in code points ----------------------------------------------------


@pytest.mark.parametrize("suffix", ["", " + 1"])
def test_completion_offsets_count_code_points(kernel, suffix):
    km, kc = kernel
    code = S.astral_prefix + S.complete_prefix + suffix
    cursor = len(S.astral_prefix + S.complete_prefix)  # Python len() counts code points
    assert len(code.encode("utf-16-le")) // 2 > len(code)  # the astral character is really there
    msg_id = kc.complete(code, cursor_pos=cursor)
    reply = shell_reply(kc, msg_id, timeout=10)
    c = reply["content"]
    assert set(c) >= {"status", "matches", "cursor_start", "cursor_end", "metadata"}, c
    assert c["status"] == "ok"
    assert S.complete_match in c["matches"], c
    assert c["cursor_end"] == cursor, c
    assert c["cursor_start"] == cursor - len(S.complete_prefix), c


# --- execution counts -------------------------------------------------------------------------


def test_execution_count_grows_only_with_store_history(kernel):
    km, kc = kernel
    a = execute(kc, S.one)
    n = a.content["execution_count"]
    assert isinstance(n, int) and n >= 1
    assert [m["content"]["execution_count"] for m in a.of_type("execute_input")] == [n]
    assert [m["content"]["execution_count"] for m in a.of_type("execute_result")] == [n]

    b = execute(kc, S.two, store_history=False)
    assert b.status == "ok" and isinstance(b.content["execution_count"], int)

    c = execute(kc, S.one)
    assert c.content["execution_count"] == n + 1, "store_history=False must not advance the count"

    d = execute(kc, S.two, silent=True)
    assert d.status == "ok"
    assert not d.of_type("execute_input") and not d.of_type("execute_result"), d.iopub

    e = execute(kc, S.one)
    assert e.content["execution_count"] == n + 2, "silent must not advance the count"

    f = execute(kc, S.undefined)
    assert f.status == "error" and f.content["execution_count"] == n + 3, "an error still counts"
    assert execute(kc, S.one).content["execution_count"] == n + 4


# --- errors --------------------------------------------------------------------------------------


def test_error_cell_has_one_error_and_no_stderr(kernel):
    km, kc = kernel
    ex = execute(kc, S.undefined)
    assert ex.status == "error"
    errors = ex.of_type("error")
    assert len(errors) == 1, ex.iopub
    assert ex.stream("stderr") == "", "errors must not be written to stderr (nbgrader scores that 0)"
    assert not ex.of_type("execute_result")
    for key in ("ename", "evalue", "traceback"):
        assert ex.content[key] == errors[0]["content"][key]
    assert ex.content["ename"] == S.name_error
    assert ex.content["evalue"].strip()
    assert all(isinstance(line, str) for line in ex.content["traceback"])
    if IS_ATTENTION:
        text = plain("\n".join(ex.content["traceback"]))
        assert "undefined_name_xyz" in text and "line 1" in text, text


def test_shape_error_names_shapes_and_line(kernel):
    km, kc = kernel
    ex = execute(kc, S.shape_error_code)
    assert ex.status == "error" and ex.content["ename"] == S.shape_error, ex.content
    assert len(ex.of_type("error")) == 1 and ex.stream("stderr") == ""
    if IS_ATTENTION:
        text = plain("\n".join(ex.content["traceback"]) + "\n" + ex.content["evalue"])
        assert "2×3" in text, text
        assert "line 2" in text, text
        assert "A @ A" in text, text  # the source line is quoted
        assert "^" in text, text      # with a caret


@pytest.mark.skipif(not IS_ATTENTION, reason="the floor-division note is this kernel's")
def test_floor_division_note_is_a_display_not_stderr(kernel):
    """`x = 7 // 2` binds 7 (`//` starts a comment); the note saying so reaches the front end
    as one display_data (Markdown and plain text), never as stderr, which nbgrader scores 0."""
    km, kc = kernel
    ex = execute(kc, "x = 7 // 2\ny = 9 // 4\nx")
    assert ex.status == "ok", ex.content
    assert ex.stream("stderr") == "" and ex.stream("stdout") == ""
    displays = ex.of_type("display_data")
    assert len(displays) == 1, ex.iopub
    data = displays[0]["content"]["data"]
    assert "`//` starts a comment here; floor division is `floor(a / b)`" in data["text/markdown"], data
    assert "line 1, column 7" in data["text/plain"], data
    assert [r["content"]["data"]["text/plain"] for r in ex.of_type("execute_result")] == ["7"]
    quiet = execute(kc, "B = 2\nA = B  // projections\nA")
    assert not quiet.of_type("display_data") and quiet.stream("stderr") == "", quiet.iopub


# --- stdin ----------------------------------------------------------------------------------------


def test_input_request_round_trip(kernel):
    km, kc = kernel
    msg_id = kc.execute(S.input_and_print, allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    assert req["msg_type"] == "input_request"
    assert req["parent_header"]["msg_id"] == msg_id
    assert "name?" in req["content"]["prompt"]
    assert req["content"]["password"] is False
    kc.input("Ada")
    reply = shell_reply(kc, msg_id, timeout=10)
    assert reply["content"]["status"] == "ok", reply["content"]
    iopub = iopub_until_idle(kc, msg_id)
    out = "".join(m["content"]["text"] for m in iopub
                  if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    assert "hi Ada" in out, iopub


def test_input_without_stdin_fails_clearly(kernel):
    km, kc = kernel
    t0 = time.monotonic()
    ex = execute(kc, S.input_only, allow_stdin=False, timeout=10)
    assert time.monotonic() - t0 < 5
    assert ex.status == "error", ex.content
    words = plain(ex.content["evalue"] + "\n".join(ex.content["traceback"])).lower()
    assert "input" in words or "stdin" in words, ex.content
    with pytest.raises(Empty):
        kc.get_stdin_msg(timeout=0.5)
    assert_result(execute(kc, S.one), "1")


# --- odds and ends ---------------------------------------------------------------------------------


def test_unknown_message_type_is_survived(kernel):
    km, kc = kernel
    msg = kc.session.msg("no_such_request", {})
    kc.shell_channel.send(msg)
    time.sleep(0.5)
    assert km.is_alive()
    assert_result(execute(kc, S.one), "1")


def test_comm_info_is_empty(kernel):
    km, kc = kernel
    msg_id = kc.comm_info()
    reply = shell_reply(kc, msg_id, timeout=10)
    assert reply["content"]["status"] == "ok"
    assert isinstance(reply["content"]["comms"], dict)
    if IS_ATTENTION:
        assert reply["content"]["comms"] == {}


def test_shutdown_exits_promptly(kernel):
    km, kc = kernel
    kc.shutdown()
    reply = kc.get_control_msg(timeout=5)
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"]["status"] == "ok" and reply["content"]["restart"] is False
    deadline = time.monotonic() + 5
    while km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not km.is_alive(), "the kernel did not exit within 5 s of shutdown_request"
