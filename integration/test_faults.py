"""Protocol faults against the real kernel, through pyzmq and jupyter_client.

Every test binds ``x = 41`` first, then does one bad thing to the kernel (wrong HMAC,
truncated or garbage frames, invalid JSON, missing header fields, a 10 MB message,
unknown message types, requests on the wrong channel, 10,000 executes at once, a client
that goes away in the middle of a cell), and then checks that the kernel is alive,
answers ``kernel_info`` on shell and control, and still knows ``x`` (``x + 1`` → 42).

Raw messages are signed with the connection's key unless a test is about signatures,
so that the kernel's parsing, not only its HMAC check, is what gets exercised.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from queue import Empty

import pytest
import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

from kernel_helpers import ATTENTION, SNIPPETS as S, execute, iopub_until_idle, shell_reply, wait_for_busy

# serial: deadlines and timings, run alone after the rest (conftest.py)
pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.serial]

IS_ATTENTION = S is ATTENTION
DELIM = b"<IDS|MSG>"
FLOOD = int(os.environ.get("ATTENTION_FLOOD_COUNT", "10000"))
# A cell that runs until interrupted (binds i first).
ENDLESS = S.endless


# --- fixtures and helpers -------------------------------------------------------------


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name=S.kernel_name, startup_timeout=60)
    try:
        ex = execute(kc, S.bind_x)
        assert ex.status == "ok", ex.content
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


class Raw:
    """A raw DEALER socket on one of the kernel's channels, with the kernel's key."""

    def __init__(self, km, channel: str = "shell", socket_type: int = zmq.DEALER):
        info = km.get_connection_info()
        self.session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
        self.sock = zmq.Context.instance().socket(socket_type)
        self.sock.linger = 0
        self.sock.connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def header(self, msg_type: str, **fields) -> dict:
        return self.session.msg_header(msg_type) | fields

    def frames(self, header, content=None, parent=b"{}", metadata=b"{}", sign: bool = True) -> list[bytes]:
        """Signed frames for JSON parts given as bytes (sent as they are) or as objects."""
        def as_bytes(part):
            if isinstance(part, bytes):
                return part
            return dumps(part)
        parts = [as_bytes(header), as_bytes(parent), as_bytes(metadata), as_bytes(content if content is not None else {})]
        signature = self.session.sign(parts) if sign else b"0" * 64
        return [DELIM, signature] + parts

    def send(self, frames: list[bytes]) -> None:
        self.sock.send_multipart(frames)

    def request(self, msg_type: str, content: dict | None = None) -> dict:
        """Sends a properly signed request; returns its header."""
        header = self.header(msg_type)
        self.send(self.frames(header, content or {}))
        return header

    def silent(self, timeout_ms: int = 500) -> bool:
        """True when nothing arrives within timeout_ms."""
        return self.sock.poll(timeout_ms) == 0

    def receive(self, timeout_ms: int = 10_000) -> dict:
        assert self.sock.poll(timeout_ms) != 0, f"no reply within {timeout_ms} ms"
        _, frames = self.session.feed_identities(self.sock.recv_multipart())
        return self.session.deserialize(frames)  # checks the kernel's signature too

    def reply_to(self, header: dict, timeout_ms: int = 10_000) -> dict:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            remaining = int((deadline - time.monotonic()) * 1000)
            assert remaining > 0, f"no reply to {header['msg_type']} within {timeout_ms} ms"
            msg = self.receive(remaining)
            if msg["parent_header"].get("msg_id") == header["msg_id"]:
                return msg


def dumps(obj) -> bytes:
    return json.dumps(obj, default=str).encode()


def kernel_info_on(kc, channel: str, timeout: float = 10) -> dict:
    msg = kc.session.msg("kernel_info_request", {})
    if channel == "control":
        kc.control_channel.send(msg)
        get = kc.get_control_msg
    else:
        kc.shell_channel.send(msg)
        get = kc.get_shell_msg
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no kernel_info_reply on {channel}")
        try:
            reply = get(timeout=remaining)
        except Empty:
            continue
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


def heartbeat_ok(km, timeout_ms: int = 5000) -> bool:
    info = km.get_connection_info()
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.linger = 0
    try:
        sock.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
        sock.send(b"ping")
        return sock.poll(timeout_ms) != 0 and sock.recv() == b"ping"
    finally:
        sock.close()


def assert_survived(km, kc) -> None:
    """The kernel lives, answers kernel_info on shell and control and an execute, and x is still 41."""
    assert km.is_alive(), "the kernel process died"
    for channel in ("shell", "control"):
        reply = kernel_info_on(kc, channel)
        assert reply["msg_type"] == "kernel_info_reply" and reply["content"]["status"] == "ok"
    ex = execute(kc, S.x_plus_1)
    assert ex.status == "ok", ex.content
    assert ex.result_text() == "42", ex.iopub
    assert heartbeat_ok(km)


# --- signatures -------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["shell", "control"])
@pytest.mark.parametrize("how", ["wrong_key", "flipped", "missing", "truncated", "uppercase"])
def test_wrong_hmac_is_dropped_and_never_executed(kernel, channel, how):
    km, kc = kernel
    with Raw(km, channel) as raw:
        header = raw.header("execute_request")
        frames = raw.frames(header, {"code": "x = 0", "silent": False})
        sig = frames[1]
        if how == "wrong_key":
            frames[1] = Session(key=b"not-the-key", signature_scheme="hmac-sha256").sign(frames[2:6])
        elif how == "flipped":
            frames[1] = sig[:-1] + (b"0" if sig[-1:] != b"0" else b"1")
        elif how == "missing":
            frames[1] = b""
        elif how == "truncated":
            frames[1] = sig[: len(sig) // 2]
        elif how == "uppercase":  # hex digits in the other case are not the same bytes
            frames[1] = sig.upper() if sig.upper() != sig else sig.lower()
        raw.send(frames)
        assert raw.silent(800), "the kernel answered a message with a bad signature"
    assert_survived(km, kc)  # x + 1 is still 42: the unsigned `x = 0` never ran


# --- truncated and garbage frames ---------------------------------------------------------


def _truncations(raw: Raw) -> list[list[bytes]]:
    good = raw.frames(raw.header("execute_request"), {"code": "x = 0"})
    cases = [good[:n] for n in range(len(good))]  # [], [DELIM], [DELIM, sig], … all but content
    cases += [[DELIM, good[1]] + [p[: len(p) // 2] for p in good[2:]]]  # every JSON frame cut in half (bad HMAC)
    cases += [[DELIM, raw.session.sign([p[: len(p) // 2] for p in good[2:]])] + [p[: len(p) // 2] for p in good[2:]]]
    return [c for c in cases if c]


def test_truncated_messages_are_dropped(kernel):
    km, kc = kernel
    with Raw(km) as raw:
        for frames in _truncations(raw):
            raw.send(frames)
        raw.sock.send(b"")  # one empty frame
        assert raw.silent(800)
    assert_survived(km, kc)


GARBAGE = [
    [b"\x00"],
    [b"\xff" * 64],
    [os.urandom(1024)],
    [os.urandom(32) for _ in range(12)],
    [b"", b"", b"", b""],
    [b"<IDS|MSG>"] * 10,
    [b"<IDS|MSG>", b"", b"", b"", b"", b""],  # empty JSON frames, empty signature
    [b"id"] * 500 + [b"<IDS|MSG>", b"x"],  # many identity frames
    [b"\x00" * 10_000] * 3,
    ["<IDS|MSG>\u2603".encode(), "\u00e9\u00e8".encode("latin-1")],
]


@pytest.mark.parametrize("channel", ["shell", "control", "stdin"])
def test_garbage_frames_are_survived(kernel, channel):
    km, kc = kernel
    with Raw(km, channel) as raw:
        for frames in GARBAGE:
            raw.send(frames)
        assert raw.silent(800)
    assert_survived(km, kc)


def test_garbage_on_heartbeat_and_iopub(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    ctx = zmq.Context.instance()
    # Heartbeat is a REP socket: a DEALER without the empty delimiter sends what REP must drop;
    # a multipart REQ ping is echoed whole.
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    dealer.send_multipart([b"no-delimiter", os.urandom(100)])
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    req.send_multipart([b"a", os.urandom(5000), b""])
    assert req.poll(5000) != 0
    assert len(req.recv_multipart()) == 3
    # IOPub is an XPUB: an XSUB may send it anything, subscriptions or not.
    xsub = ctx.socket(zmq.XSUB)
    xsub.linger = 0
    xsub.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
    for frames in ([b"\x02garbage"], [b"\x00"], [b"\x01"], [b""], [os.urandom(2000), b"more"], [b"\x01" + b"t" * 100_000]):
        xsub.send_multipart(frames)
    time.sleep(0.5)
    for s in (dealer, req, xsub):
        s.close()
    assert_survived(km, kc)


# --- invalid JSON and missing fields --------------------------------------------------------


def _bad_json_cases(raw: Raw) -> list[list[bytes]]:
    header = raw.header("execute_request")
    deep = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    cases = [
        raw.frames(b"not json", {"code": "x = 0"}),
        raw.frames(dumps(header)[:-1], {"code": "x = 0"}),  # header missing its closing brace
        raw.frames(header, b'{"code": "x = 0"'),  # content cut short
        raw.frames(header, b'["x = 0"]'),  # content not an object
        raw.frames(header, b"null"),
        raw.frames(header, b'{"code": "x = 0"}', parent=b"[]"),
        raw.frames(header, b'{"code": "x = 0"}', metadata=b'"text"'),
        raw.frames(b"[]", {"code": "x = 0"}),  # header not an object
        raw.frames(header, b'{"code": "\xff\xfe"}'),  # not UTF-8
        raw.frames(header, b'{"code": "\\ud800"}'),  # lone surrogate escape
        raw.frames(header, b'{"code": 1e999999}'),
        raw.frames(header, deep),  # nesting far beyond any parser's stack
        raw.frames(deep_object, {"code": "x = 0"}),
        raw.frames(header, b'{"code": "1", "code": "2"}'),  # duplicate key (valid JSON: may run)
        raw.frames(header, b"\x00" * 100),
    ]
    return cases


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_invalid_json_is_survived(kernel, channel):
    km, kc = kernel
    with Raw(km, channel) as raw:
        for frames in _bad_json_cases(raw):
            raw.send(frames)
        # A reply, if any, must come from a parsable request; nothing may set x.
        time.sleep(1.0)
    assert_survived(km, kc)


HEADERLESS = [
    {},  # nothing at all
    {"msg_type": "kernel_info_request"},  # only the type
    {"msg_id": "only-an-id"},  # no type
    {"msg_type": 7, "msg_id": "numeric-type"},
    {"msg_type": None},
    {"msg_type": "", "msg_id": "empty-type"},
    {"msg_type": "kernel_info_request", "msg_id": 12, "session": [], "username": {}, "date": 0, "version": None},
]


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_missing_header_fields(kernel, channel):
    km, kc = kernel
    with Raw(km, channel) as raw:
        for header in HEADERLESS:
            raw.send(raw.frames(header, {}))
        # The kernel may answer a request whose header has a msg_type; it must not die.
        time.sleep(1.0)
        while raw.sock.poll(0):
            raw.sock.recv_multipart()
    assert_survived(km, kc)


def test_execute_with_missing_or_wrong_content_fields(kernel):
    km, kc = kernel
    with Raw(km) as raw:
        odd = [
            {},  # no code: an empty cell
            {"code": None},
            {"code": 42},
            {"code": ["x = 0"]},
            {"code": "1", "silent": "yes", "store_history": 3, "allow_stdin": None, "stop_on_error": "no"},
            {"code": "1", "user_expressions": [1, 2]},
            {"code": "1", "user_expressions": {"a": 5, "b": "x", "c": "undefined_q"}},
        ]
        for content in odd:
            header = raw.request("execute_request", content)
            reply = raw.reply_to(header)
            assert reply["msg_type"] == "execute_reply"
            assert reply["content"]["status"] in ("ok", "error", "aborted")
        header = raw.request("complete_request", {"code": "x", "cursor_pos": 10_000})
        assert raw.reply_to(header)["content"]["status"] in ("ok", "error")
        header = raw.request("complete_request", {"code": "x", "cursor_pos": -5})
        assert raw.reply_to(header)["content"]["status"] in ("ok", "error")
        header = raw.request("inspect_request", {"code": 5})
        assert raw.reply_to(header)["content"]["status"] in ("ok", "error")
        header = raw.request("history_request", {"hist_access_type": "search", "pattern": "[" * 1000, "n": -1})
        assert raw.reply_to(header)["content"]["status"] in ("ok", "error")
    assert_survived(km, kc)


# --- big messages ------------------------------------------------------------------------------


TEN_MB = 10 * 1024 * 1024


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["comment", "string", "statements", "unsigned"])
def test_ten_megabyte_message(kernel, kind):
    km, kc = kernel
    if kind == "comment":
        code = "// " + "a" * TEN_MB + "\nx + 1"
    elif kind == "string":
        code = 'let big = "' + "b" * TEN_MB + '"\nx + 1'
    elif kind == "statements":  # 1 MB of code to run (170,000 statements; 10 MB takes tens of seconds in a debug build)
        line = "y = 1\n"
        code = line * (TEN_MB // 10 // len(line)) + "x + 1"
    else:
        code = "x = 0 // " + "c" * TEN_MB
    if kind == "unsigned":
        with Raw(km) as raw:
            raw.send(raw.frames(raw.header("execute_request"), {"code": code}, sign=False))
            assert raw.silent(1500)
    else:
        started = time.monotonic()
        ex = execute(kc, code, timeout=90)
        # Answered (ok with 42) or refused with a clear error; either way within bounds.
        if ex.status == "ok":
            assert ex.result_text() == "42", ex.iopub
        else:
            assert ex.content["ename"] and ex.content["evalue"], ex.content
        assert time.monotonic() - started < 90
    assert_survived(km, kc)


def test_ten_megabyte_output_is_capped(kernel):
    """A cell that prints far more than the output budget ends with a note, not a flood."""
    km, kc = kernel
    ex = execute(kc, 'let s = "' + "z" * 10_000 + '"\nfor k in 0..<2000 { print(s) }\nx + 1', timeout=90)
    assert ex.status == "ok", ex.content
    out = ex.stream("stdout")
    assert len(out.encode()) < 1_200_000, len(out)
    if IS_ATTENTION:
        assert "ATTN_MAX_OUTPUT_BYTES" in out[-2000:], out[-2000:]
    assert ex.result_text() == "42"
    assert_survived(km, kc)


# --- unknown types and wrong channels ---------------------------------------------------------


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_unknown_message_types(kernel, channel):
    km, kc = kernel
    with Raw(km, channel) as raw:
        for msg_type in ["no_such_request", "execute_reply", "status", "stream", "x" * 10_000, "input_reply",
                         "comm_msg", "comm_close", "debug_request", "usage_request", "create_subshell_request",
                         "\u2603_request", "apply_request", "abort_request", "clear_request"]:
            raw.request(msg_type, {"code": "x = 0"})
        time.sleep(1.0)
        while raw.sock.poll(0):  # whatever came back must be validly signed
            _, frames = raw.session.feed_identities(raw.sock.recv_multipart())
            raw.session.deserialize(frames)
    assert_survived(km, kc)


def test_requests_on_the_wrong_channel(kernel):
    km, kc = kernel
    with Raw(km, "control") as control, Raw(km, "stdin") as stdin:
        # execute on control: ignored (or answered), never run as a second concurrent cell
        control.request("execute_request", {"code": "x = 0"})
        control.request("complete_request", {"code": "x", "cursor_pos": 1})
        # requests on stdin, where only input_reply belongs
        stdin.request("kernel_info_request")
        stdin.request("execute_request", {"code": "x = 0"})
        stdin.request("input_reply", {"value": "unasked"})
        stdin.request("shutdown_request", {"restart": False})
        time.sleep(1.0)
    # IOPub: a SUB cannot send, an XSUB can; the kernel must ignore a request there.
    info = km.get_connection_info()
    xsub = zmq.Context.instance().socket(zmq.XSUB)
    xsub.linger = 0
    xsub.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
    xsub.send_multipart(session.serialize(session.msg("execute_request", {"code": "x = 0"})))
    xsub.send_multipart(session.serialize(session.msg("shutdown_request", {"restart": False})))
    # Heartbeat: a Jupyter message is just bytes to echo.
    req = zmq.Context.instance().socket(zmq.REQ)
    req.linger = 0
    req.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    req.send_multipart(session.serialize(session.msg("shutdown_request", {"restart": False})))
    assert req.poll(5000) != 0
    req.recv_multipart()
    time.sleep(0.5)
    xsub.close()
    req.close()
    assert_survived(km, kc)
    # A later input() still gets its own answer, not the stray input_reply sent earlier.
    if IS_ATTENTION:
        msg_id = kc.execute(S.input_and_print, allow_stdin=True)
        request = kc.get_stdin_msg(timeout=10)
        assert request["msg_type"] == "input_request"
        kc.input("Ada")
        reply = shell_reply(kc, msg_id)
        assert reply["content"]["status"] == "ok"
        assert "hi Ada" in "".join(
            m["content"].get("text", "") for m in iopub_until_idle(kc, msg_id) if m["msg_type"] == "stream")


# --- flood ---------------------------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_ten_thousand_executes_flooding_in(kernel):
    km, kc = kernel
    started = time.monotonic()
    with Raw(km) as raw:
        raw.sock.sndhwm = 0  # never drop on our side
        raw.sock.rcvhwm = 0
        ids = []
        for n in range(FLOOD):
            header = raw.header("execute_request")
            ids.append(header["msg_id"])
            code = "x + 1" if n % 1000 else f"let flood_{n} = {n}"
            raw.send(raw.frames(header, {"code": code, "silent": False, "store_history": n % 2 == 0}))
        sent = time.monotonic() - started
        # While the queue drains, the kernel stays responsive on control and heartbeat.
        time.sleep(0.5)
        assert heartbeat_ok(km, 5000), "heartbeat stopped answering during the flood"
        assert kernel_info_on(kc, "control", timeout=10)["content"]["status"] == "ok"
        pending = set(ids)
        statuses: dict[str, int] = {}
        deadline = time.monotonic() + 100
        while pending and time.monotonic() < deadline:
            if raw.sock.poll(1000) == 0:
                continue
            _, frames = raw.session.feed_identities(raw.sock.recv_multipart())
            msg = raw.session.deserialize(frames, content=True)
            parent = msg["parent_header"].get("msg_id")
            if parent in pending:
                pending.discard(parent)
                statuses[msg["content"]["status"]] = statuses.get(msg["content"]["status"], 0) + 1
        elapsed = time.monotonic() - started
        print(f"flood: {FLOOD} executes sent in {sent:.1f} s, all answered in {elapsed:.1f} s: {statuses}")
        assert not pending, f"{len(pending)} of {FLOOD} executes unanswered after {elapsed:.0f} s"
        assert statuses == {"ok": FLOOD}, statuses
    assert_survived(km, kc)
    ex = execute(kc, "flood_9000 + flood_1000" if FLOOD >= 10000 else "1")
    assert ex.status == "ok", ex.content


# --- a client that disconnects mid-cell ---------------------------------------------------------


def _other_client(km, ready: bool = True):
    """Another front end on the same kernel: its own session, so its own ZMQ identities
    (km.client() would share the manager's session and take over kc's routing)."""
    session = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
    kc = km.client(session=session, context=zmq.Context())  # own context: closed with the client
    kc.start_channels(hb=False)  # heartbeat_ok() checks the heartbeat
    if ready:
        kc.wait_for_ready(timeout=30)
    return kc


@pytest.mark.parametrize("then", ["interrupt", "finish"])
def test_client_disconnects_in_the_middle_of_a_cell(kernel, then):
    km, kc = kernel
    first = _other_client(km)
    if then == "interrupt":
        code = ENDLESS
    else:  # a cell that ends by itself about a second later, printing as it goes
        code = "let n = 0\nfor k in 0..<3000000 { n = n + 1\n if k % 100000 == 0 { print(k) } }\nx = x + 0"
    msg_id = first.execute(code)
    wait_for_busy(first, msg_id)
    time.sleep(0.3)
    first.stop_channels()  # closes its sockets mid-cell; its replies go nowhere
    del first

    second = _other_client(km, ready=False)  # shell is busy with the orphaned cell
    try:
        # Control and heartbeat answer while the orphaned cell runs.
        assert kernel_info_on(second, "control", timeout=5)["content"]["status"] == "ok"
        assert heartbeat_ok(km)
        if then == "interrupt":
            msg = second.session.msg("interrupt_request", {})
            second.control_channel.send(msg)
            assert second.get_control_msg(timeout=5)["msg_type"] == "interrupt_reply"
        second.wait_for_ready(timeout=60)  # the shell answers once the cell has ended
        ex = execute(second, S.x_plus_1, timeout=60)
        assert ex.status == "ok", ex.content
        assert ex.result_text() == "42"
        if then == "interrupt" and IS_ATTENTION:
            assert execute(second, S.i_positive).result_text() == S.true_text  # bindings before the interrupt kept
    finally:
        second.stop_channels()
    assert_survived(km, kc)


def test_client_disconnects_while_the_kernel_waits_for_input(kernel):
    km, kc = kernel
    first = _other_client(km)
    msg_id = first.execute(S.input_and_print, allow_stdin=True)
    assert first.get_stdin_msg(timeout=10)["msg_type"] == "input_request"
    first.stop_channels()  # nobody will ever answer the prompt
    del first
    second = _other_client(km, ready=False)  # shell is busy with the orphaned cell
    try:
        assert kernel_info_on(second, "control", timeout=5)["content"]["status"] == "ok"
        msg = second.session.msg("interrupt_request", {})  # what a front end's stop button sends
        second.control_channel.send(msg)
        assert second.get_control_msg(timeout=5)["msg_type"] == "interrupt_reply"
        second.wait_for_ready(timeout=30)
        ex = execute(second, S.x_plus_1, timeout=30)
        assert ex.status == "ok" and ex.result_text() == "42", ex.content
    finally:
        second.stop_channels()
    assert_survived(km, kc)


def test_many_clients_come_and_go(kernel):
    km, kc = kernel
    for n in range(20):
        other = _other_client(km, ready=False)
        msg_id = other.execute(f"let c{n} = {n}")
        if not n % 2:
            shell_reply(other, msg_id, timeout=10)
        other.stop_channels()  # odd n: leave before the reply
        other.context.destroy(linger=0)
    time.sleep(0.5)
    ex = execute(kc, "c18 + x")
    assert ex.status == "ok" and ex.result_text() == "59", ex.content
    assert_survived(km, kc)
