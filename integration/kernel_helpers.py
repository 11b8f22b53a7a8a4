"""Helpers for the jupyter_client-level integration tests.

The tests are written for the attention kernel. ``INTEGRATION_KERNEL=python3`` swaps in
ipykernel and Python snippets with the same meaning, to check the harness itself
(timings, raw frames, restarts) without the Swift kernel.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from queue import Empty
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient


@dataclass(frozen=True)
class Snippets:
    kernel_name: str
    bind_x: str               # binds x to 41
    x_plus_1: str             # x + 1 -> "42"
    endless: str              # binds i = 0, then loops "forever"
    i_positive: str           # "true" when the loop ran before the interrupt
    interrupted: str          # ename of an interrupted cell
    name_error: str           # ename for an undefined name
    undefined: str            # code raising name_error
    slow_undefined: str       # the same after a loop of a few tenths of a second
    shape_error_code: str     # a two-line cell failing on line 2
    shape_error: str          # its ename
    bind_y: str
    use_y: str
    one: str                  # result "1"
    two: str
    input_and_print: str      # reads a line with prompt "name?" and prints "hi <line>"
    input_only: str
    astral_prefix: str        # text before a completion prefix, with an astral-plane character
    complete_prefix: str      # "sof"
    complete_match: str       # "softmax"
    true_text: str


ATTENTION = Snippets(
    kernel_name="attention",
    bind_x="x = 41",
    x_plus_1="x + 1",
    endless="let i = 0\nfor k in 0..<100000000000 { i = i + 1 }",
    i_positive="i > 0",
    interrupted="Interrupted",
    name_error="NameError",
    undefined="undefined_name_xyz",
    slow_undefined="for k in 0..<500000 { }\nundefined_name_xyz",
    shape_error_code="let A = ones(2, 3)\nA @ A",
    shape_error="ShapeError",
    bind_y="let y = 1",
    use_y="y + 1",
    one="1",
    two="2",
    input_and_print='let name = input("name?")\nprint("hi", name)',
    input_only='input("name?")',
    astral_prefix='let s = "🦊"; ',
    complete_prefix="sof",
    complete_match="softmax",
    true_text="true",
)

PYTHON = Snippets(
    kernel_name="python3",
    bind_x="x = 41",
    x_plus_1="x + 1",
    endless="i = 0\nwhile True:\n    i = i + 1",
    i_positive="i > 0",
    interrupted="KeyboardInterrupt",
    name_error="NameError",
    undefined="undefined_name_xyz",
    slow_undefined="for k in range(500000): pass\nundefined_name_xyz",
    shape_error_code="A = [1, 2]\nA @ A",
    shape_error="TypeError",
    bind_y="y = 1",
    use_y="y + 1",
    one="1",
    two="2",
    input_and_print='name = input("name?")\nprint("hi", name)',
    input_only='input("name?")',
    astral_prefix='s = "🦊"; ',
    complete_prefix="so",
    complete_match="sorted",
    true_text="True",
)

SNIPPETS = {"attention": ATTENTION, "python3": PYTHON}[os.environ.get("INTEGRATION_KERNEL", "attention")]


@dataclass
class Execution:
    msg_id: str
    reply: dict[str, Any]
    iopub: list[dict[str, Any]]

    @property
    def content(self) -> dict[str, Any]:
        return self.reply["content"]

    @property
    def status(self) -> str:
        return self.content["status"]

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.iopub if m["msg_type"] == msg_type]

    def stream(self, name: str) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == name)

    def result_text(self) -> str | None:
        results = self.of_type("execute_result")
        return results[-1]["content"]["data"].get("text/plain") if results else None


def messages_until(get, deadline: float, what: str):
    """Messages from ``get`` (a client's ``get_shell_msg`` or ``get_iopub_msg``) until the
    monotonic ``deadline``; then TimeoutError saying ``what`` never came."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(what)
        try:
            yield get(timeout=remaining)
        except Empty:
            continue


def shell_reply(kc: BlockingKernelClient, msg_id: str, timeout: float = 30) -> dict[str, Any]:
    """The shell reply to msg_id (other replies are dropped)."""
    deadline = time.monotonic() + timeout
    for msg in messages_until(kc.get_shell_msg, deadline, f"no shell reply to {msg_id} within {timeout} s"):
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def iopub_until_idle(kc: BlockingKernelClient, msg_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """IOPub messages whose parent is msg_id, up to and including its idle status."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        for msg in messages_until(kc.get_iopub_msg, deadline, f"no idle status for {msg_id} within {timeout} s"):
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out
    except TimeoutError as error:
        raise TimeoutError(f"{error}; got {[m['msg_type'] for m in out]}") from None


def execute(kc: BlockingKernelClient, code: str, timeout: float = 30, **kw: Any) -> Execution:
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return Execution(msg_id, reply, iopub_until_idle(kc, msg_id, timeout))


def wait_for_busy(kc: BlockingKernelClient, msg_id: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    for msg in messages_until(kc.get_iopub_msg, deadline, f"kernel never went busy for {msg_id}"):
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "busy"):
            return


def drain(kc: BlockingKernelClient) -> None:
    for get in (kc.get_shell_msg, kc.get_iopub_msg):
        while True:
            try:
                get(timeout=0.1)
            except Empty:
                break
