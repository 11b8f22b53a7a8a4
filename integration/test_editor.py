"""What the notebook editor asks of the kernel, over jupyter_client with the real kernel:
typed completion items (`metadata._jupyter_types_experimental`, as ipykernel sends),
members after `.`, `help_links` to the language reference, and input history that
survives a kernel restart (a file; `ATTN_HISTORY` points it at a temporary one here).
"""
from __future__ import annotations

import json
import os

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME
from kernel_helpers import execute, shell_reply

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"),
              pytest.mark.skipif(KERNEL_NAME != "attention", reason="attention kernel only")]


def start(history_path) -> tuple[KernelManager, object]:
    km = KernelManager(kernel_name=KERNEL_NAME)
    env = dict(os.environ)
    env["ATTN_HISTORY"] = str(history_path)
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


@pytest.fixture
def kernel(tmp_path):
    km, kc = start(tmp_path / "history.jsonl")
    try:
        yield km, kc
    finally:
        stop(km, kc)


def complete(kc, code: str, cursor: int | None = None) -> dict:
    msg_id = kc.complete(code, len(code) if cursor is None else cursor)
    return shell_reply(kc, msg_id)["content"]


def test_completion_items_carry_type_and_signature(kernel):
    _, kc = kernel
    assert execute(kc, "let soft_weights = softmax(eye(2))\nfunc softer(a, b) { a + b }").status == "ok"
    reply = complete(kc, "sof")
    assert reply["status"] == "ok"
    types = {t["text"]: t for t in reply["metadata"]["_jupyter_types_experimental"]}
    assert [t["text"] for t in reply["metadata"]["_jupyter_types_experimental"]] == reply["matches"]
    assert types["softmax"]["type"] == "function" and types["softmax"]["signature"].startswith("softmax(")
    assert types["softer"]["type"] == "function" and types["softer"]["signature"] == "softer(a, b)"
    assert types["soft_weights"]["type"] == "variable"
    for t in types.values():
        assert (t["start"], t["end"]) == (reply["cursor_start"], reply["cursor_end"]) == (0, 3)
    keywords = {t["text"]: t["type"] for t in complete(kc, "fo")["metadata"]["_jupyter_types_experimental"]}
    assert keywords.get("for") == "keyword", keywords


def test_members_after_dot(kernel):
    _, kc = kernel
    assert execute(kc, 'let W = eye(3)\nlet cfg = init_block(d_model: 4, heads: 2, seed: 0)').status == "ok"
    reply = complete(kc, "W.")
    assert reply["matches"] == ["T", "cols", "rows", "shape"], reply
    assert all(t["type"] == "property" for t in reply["metadata"]["_jupyter_types_experimental"])
    assert complete(kc, "W.r")["matches"] == ["rows"]
    fields = complete(kc, "cfg.")["matches"]
    assert len(fields) == 17 and "W1" in fields and "heads" in fields, fields
    assert complete(kc, "cfg.W")["matches"] == sorted(f for f in fields if f.startswith("W"))
    assert complete(kc, "nothing_here.")["matches"] == []


def test_help_links_point_at_the_installed_reference(kernel):
    _, kc = kernel
    reply = shell_reply(kc, kc.kernel_info())["content"]
    links = reply["help_links"]
    assert links and links[0]["url"] == "/kernelspecs/attention/language-reference.html", links
    spec_dir = KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir
    page = open(os.path.join(spec_dir, "language-reference.html"), encoding="utf-8").read()
    assert "softmax" in page and "multi_head" in page


def history(kc, **kw) -> list:
    return shell_reply(kc, kc.history(**kw))["content"]["history"]


def test_history_survives_a_restart_bounded(tmp_path):
    path = tmp_path / "history.jsonl"
    km, kc = start(path)
    try:
        assert execute(kc, "let alpha = 1").status == "ok"
        assert execute(kc, "alpha + 41").status == "ok"
        first_session = history(kc, hist_access_type="tail", n=2)
        assert [e[2] for e in first_session] == ["let alpha = 1", "alpha + 41"]
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        assert execute(kc, "let beta = 2").status == "ok"
        tail = history(kc, hist_access_type="tail", n=3, output=True)
        assert [e[2][0] for e in tail] == ["let alpha = 1", "alpha + 41", "let beta = 2"], tail
        assert tail[1][2][1] == "42"
        sessions = [e[0] for e in tail]
        assert sessions[0] == sessions[1] and sessions[2] == sessions[0] + 1, sessions
        # search and range see the earlier session too
        assert [e[2] for e in history(kc, hist_access_type="search", pattern="let *", n=10)] == ["let alpha = 1", "let beta = 2"]
        previous = history(kc, hist_access_type="range", session=-1, start=1, stop=10)
        assert [e[2] for e in previous] == ["let alpha = 1", "alpha + 41"], previous
        current = history(kc, hist_access_type="range", session=0, start=1, stop=10)
        assert [e[2] for e in current] == ["let beta = 2"]
    finally:
        stop(km, kc)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["input"] for line in lines] == ["let alpha = 1", "alpha + 41", "let beta = 2"]

    # bounded: a file far over the limit is cut to the newest entries at the next start
    big = [{"session": 1, "line": i, "input": f"x{i}"} for i in range(1, 25_001)]
    path.write_text("".join(json.dumps(e) + "\n" for e in big) + "not json\n")
    km, kc = start(path)
    try:
        tail = history(kc, hist_access_type="tail", n=1)
        assert tail[0][2] == "x25000"
    finally:
        stop(km, kc)
    kept = path.read_text().splitlines()
    assert len(kept) == 10_000 and json.loads(kept[0])["input"] == "x15001"
