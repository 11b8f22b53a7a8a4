"""`train` in the real kernel through jupyter_client: the live loss curve updates one display in
place, and the stop button ends training early while keeping (and binding) the model trained so
far, with every earlier binding intact."""
from __future__ import annotations

import time

import pytest
from jupyter_client.manager import start_new_kernel

from kernel_helpers import execute, iopub_until_idle, shell_reply, wait_for_busy

pytestmark = pytest.mark.usefixtures("attention_kernelspec")

SETUP = """m = gpt(vocab: 16, d_model: 32, heads: 2, layers: 2, context: 16, seed: 0)

ids = round(rand(1, 4000, seed: 1) * 15)
before = 1"""


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name="attention", startup_timeout=60)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def plain(msg) -> str:
    return msg["content"].get("data", {}).get("text/plain", "")


def test_train_shows_one_live_display_and_returns_the_model(kernel):
    km, kc = kernel
    assert execute(kc, SETUP, timeout=60).status == "ok"
    ex = execute(kc, "r = train(m, ids, steps: 40, batch: 4, lr: 0.01)\nprint(r.steps, r.interrupted)", timeout=120)
    assert ex.status == "ok", ex.content
    displays = [m for m in ex.iopub if m["msg_type"] in ("display_data", "update_display_data")]
    assert displays and displays[0]["msg_type"] == "display_data"
    ids = {m["content"]["transient"]["display_id"] for m in displays}
    assert len(ids) == 1, ids                                   # one display, replaced in place
    assert "image/png" in displays[-1]["content"]["data"]                 # drawn in any viewer
    assert "<img" in displays[-1]["content"]["data"]["text/html"]
    assert plain(displays[-1]).startswith("done: 40 steps")
    stdout = "".join(m["content"]["text"] for m in ex.iopub if m["msg_type"] == "stream")
    assert stdout.strip() == "40 false"


def test_stop_button_keeps_the_partial_model(kernel):
    km, kc = kernel
    assert execute(kc, SETUP, timeout=60).status == "ok"
    msg_id = kc.execute("r = train(m, ids, steps: 100000, batch: 4, lr: 0.01)\nafter = 2")
    wait_for_busy(kc, msg_id)
    time.sleep(3)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=30)
    iopub = iopub_until_idle(kc, msg_id, timeout=10)
    # Training stopped; the statement after it was interrupted as any cell is.
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "Interrupted", reply["content"]
    last = [m for m in iopub if m["msg_type"] in ("display_data", "update_display_data")][-1]
    assert "stopped by interrupt" in plain(last), plain(last)
    check = execute(kc, "print(r.interrupted, r.steps > 0, r.steps < 100000, r.losses.cols == r.steps, before)\n"
                        "loss(r.model, ids[0, 0:17]) < loss(m, ids[0, 0:17])")
    assert check.status == "ok", check.content
    stdout = "".join(m["content"]["text"] for m in check.iopub if m["msg_type"] == "stream")
    assert stdout.strip() == "true true true true 1"
    assert check.result_text() == "true"
    assert execute(kc, "after").status == "error"              # never ran: the interrupt came first
    assert km.is_alive()
