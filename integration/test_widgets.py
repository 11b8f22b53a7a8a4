"""Jupyter widgets end to end: the ipywidgets protocol 2.1 spoken with jupyter_client, a
notebook with widgets executed by nbconvert (its widget state saved), and an `interact`
over a heatmap moved in a real JupyterLab in headless chromium (jupyterlab_widgets draws
the slider; dragging it must redraw the heatmap, an error inside the callback must show
in its output, and the kernel must keep every binding).
"""
from __future__ import annotations

import json
from queue import Empty

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from lab_browser import JupyterLabServer, LabPage, chrome, wait_for
from notebook_helpers import ROOT, describe, run, venv_tool

pytestmark = [pytest.mark.usefixtures("attention_kernelspec"), pytest.mark.timeout(300)]

ARTIFACTS = ROOT / "artifacts"
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"

INTERACT_CELL = """\
func weights(t) {
  heatmap(softmax([1, 2, 3, 4; 4, 3, 2, 1; 2, 4, 1, 3] / t), title: "temperature " + str(t))
}
t = slider(0.1, 4, value: 1, step: 0.1, description: "temperature")
interact(weights, t: t)"""

ERROR_CELL = """\
func risky(n) {
  if n > 2 { return [1, 2] @ [3, 4] }
  print("n is", n)
}
interact(risky, n: int_slider(0, 5, value: 1, description: "n"))"""

EXPLORE_CELL = 'explore(sentence: "the cat sat", seed: 0)'

# explore over a word-level model: a word outside its vocabulary is an error in the re-run
EXPLORE_WORDS_CELL = """\
v = vocab("the cat sat on the mat", level: "word")
m = gpt(vocab: len(v), d_model: 8, heads: 2, layers: 1, context: 8, seed: 0)
explore(m, vocab: v, sentence: "the cat")"""


# --- jupyter_client -------------------------------------------------------------------

@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name="attention", startup_timeout=60)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def until_idle(kc, msg_id: str, timeout: float = 30) -> list[dict]:
    """The IOPub messages whose parent is msg_id, up to its status: idle."""
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out
        out.append(msg)


def execute(kc, code: str) -> list[dict]:
    msg_id = kc.execute(code)
    kc.get_shell_msg(timeout=30)
    return until_idle(kc, msg_id)


def comm_msg(kc, comm_id: str, data) -> list[dict]:
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kc.shell_channel.send(msg)
    return until_idle(kc, msg["header"]["msg_id"])


def model_comm(msgs: list[dict], model: str) -> str:
    return next(m["content"]["comm_id"] for m in msgs if m["msg_type"] == "comm_open"
                and m["content"]["data"]["state"]["_model_name"] == model)


def result_text(kc, code: str) -> str:
    msgs = execute(kc, code)
    return next(m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result")


def test_comm_info_lists_the_widget_models(kernel):
    execute(kernel, "show(slider(0, 1))")
    msg_id = kernel.comm_info(target_name="jupyter.widget")
    reply = kernel.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    comms = reply["content"]["comms"]
    assert len(comms) == 3 and all(c["target_name"] == "jupyter.widget" for c in comms.values()), comms


def test_an_update_changes_the_state_and_replaces_the_output(kernel):
    cell = execute(kernel, INTERACT_CELL)
    slider = model_comm(cell, "FloatSliderModel")
    opened = [m["content"]["data"]["state"]["_model_name"] for m in cell if m["msg_type"] == "comm_open"]
    assert opened == ["LayoutModel", "SliderStyleModel", "FloatSliderModel", "LayoutModel", "VBoxModel"], opened
    shown = [m for m in cell if m["msg_type"] == "display_data"]
    assert VIEW in shown[0]["content"]["data"]
    display_id = shown[1]["content"]["transient"]["display_id"]
    before = shown[1]["content"]["data"]["text/html"]

    msgs = comm_msg(kernel, slider, {"method": "update", "state": {"value": 3.0}, "buffer_paths": []})
    types = [m["msg_type"] for m in msgs]
    assert types == ["status", "comm_msg", "update_display_data"], types
    assert msgs[1]["content"]["data"] == {"method": "echo_update", "state": {"value": 3.0}, "buffer_paths": []}
    update = msgs[2]["content"]
    assert update["transient"]["display_id"] == display_id
    assert update["data"]["text/html"] != before and "temperature 3" in update["data"]["text/plain"]
    assert result_text(kernel, "t.value") == "3"


def test_unknown_comms_and_malformed_states_leave_the_kernel_alive(kernel):
    execute(kernel, "kept = 41")
    msgs = comm_msg(kernel, "no-such-comm", {"method": "update", "state": {"value": 1}})
    assert [m["msg_type"] for m in msgs] == ["status"]
    cell = execute(kernel, "h = int_slider(0, 3, value: 1)\nh")
    slider = model_comm(cell, "IntSliderModel")
    for bad in ["two", 1.5, None, {"x": 1}, [1]]:
        msgs = comm_msg(kernel, slider, {"method": "update", "state": {"value": bad}})
        assert all(m["msg_type"] != "error" for m in msgs)
        reset = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg"]
        assert reset and reset[0]["method"] == "update" and reset[0]["state"]["value"] == 1, reset
    comm_msg(kernel, slider, {"method": "update", "state": "not an object"})
    comm_msg(kernel, slider, "not even an object")
    assert result_text(kernel, "kept + h.value") == "42"


# --- nbconvert ------------------------------------------------------------------------

def test_nbconvert_executes_widgets_and_saves_their_state(tmp_path, venv_env):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "attention", "display_name": "Attention (Swift)", "language": "attention"}
    nb.cells = [nbformat.v4.new_code_cell(INTERACT_CELL), nbformat.v4.new_code_cell(ERROR_CELL),
                nbformat.v4.new_code_cell("dropdown([\"a\", \"b\"], value: \"b\")")]
    path = tmp_path / "widgets.ipynb"
    nbformat.write(nb, path)
    proc = run([venv_tool("jupyter"), "nbconvert", "--to", "notebook", "--execute", "--inplace", path.name],
               env=venv_env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, describe(proc)
    saved = nbformat.read(path, as_version=4)
    state = saved.metadata["widgets"][STATE]["state"]
    names = sorted(m["model_name"] for m in state.values())
    assert names.count("FloatSliderModel") == 1 and names.count("DropdownModel") == 1, names
    assert names.count("LayoutModel") == 5, names
    slider = next(m for m in state.values() if m["model_name"] == "FloatSliderModel")
    assert slider["state"]["value"] == 1 and slider["state"]["max"] == 4
    assert slider["state"]["layout"].removeprefix("IPY_MODEL_") in state
    views = [o["data"][VIEW]["model_id"] for c in saved.cells for o in c.outputs if VIEW in o.get("data", {})]
    assert len(views) == 3 and all(v in state for v in views), views
    # the interact outputs: a heatmap, and the error of the second callback shown as its output
    assert "heatmap-cells" in saved.cells[0].outputs[1]["data"]["text/html"]
    assert all(o["output_type"] != "error" for c in saved.cells for o in c.outputs)


# --- JupyterLab in chromium -----------------------------------------------------------

@pytest.fixture(scope="module")
def lab_page(tmp_path_factory, venv_env):
    root = tmp_path_factory.mktemp("widgets-root")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "attention", "display_name": "Attention (Swift)", "language": "attention"}
    nb.cells = [nbformat.v4.new_code_cell("kept = 41"), nbformat.v4.new_code_cell(INTERACT_CELL),
                nbformat.v4.new_code_cell(ERROR_CELL), nbformat.v4.new_code_cell(EXPLORE_CELL),
                nbformat.v4.new_code_cell(EXPLORE_WORDS_CELL)]
    nbformat.write(nb, root / "widgets.ipynb")
    state = tmp_path_factory.mktemp("widgets-state")
    settings = state / "lab-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"windowingMode": "none"}))
    server = JupyterLabServer(root, state, env=venv_env)
    driver = None
    try:
        server.start()
        driver = chrome(state / "profile", log_path=state / "chromedriver.log")
        page = LabPage(driver, server)
        page.open_notebook("widgets.ipynb")
        page.run_all()
        yield page
    except BaseException:
        if driver is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "browser-widgets-failure.png"))
        (ARTIFACTS / "browser-widgets-jupyter-lab.log").write_text(server.log()) if ARTIFACTS.exists() else None
        raise
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


# The background colours of the heatmap cells drawn in cell `index`'s output.
_CELLS_JS = """
const cell = document.querySelectorAll('.jp-CodeCell')[arguments[0]];
return Array.from(cell.querySelectorAll('.jp-OutputArea-output table.heatmap-cells td'))
    .map(td => getComputedStyle(td).backgroundColor).filter(c => c && c !== 'rgba(0, 0, 0, 0)');
"""

_OUTPUT_TEXT_JS = """
const cell = document.querySelectorAll('.jp-CodeCell')[arguments[0]];
return Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(e => e.textContent).join('\\n');
"""


def run_in_page_kernel(page, code: str) -> str | None:
    """Executes `code` in the page's own kernel (as a new cell would) and returns the
    result's text: the kernel is alive and still holds the earlier cells' bindings."""
    return page.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const future = kernel.requestExecute({code: arguments[0]});
        let text = null;
        future.onIOPub = msg => { if (msg.header.msg_type === 'execute_result') text = msg.content.data['text/plain']; };
        future.done.then(() => done(text), e => done('failed: ' + e));
    """, code)


def drag_slider(page, cell_index: int, dx: int):
    """Drags the handle of the slider in cell `cell_index` by dx pixels, as a mouse would."""
    from selenium.webdriver.common.action_chains import ActionChains

    handle = page.driver.execute_script(
        "return document.querySelectorAll('.jp-CodeCell')[arguments[0]].querySelector('.widget-slider .noUi-handle')",
        cell_index)
    assert handle is not None, "no slider handle drawn (is jupyterlab_widgets installed?)"
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle)
    ActionChains(page.driver).click_and_hold(handle).move_by_offset(dx // 2, 0).move_by_offset(dx - dx // 2, 0).release().perform()


def test_dragging_the_interact_slider_redraws_the_heatmap(lab_page):
    page = lab_page
    before = wait_for("the heatmap of the interact cell", lambda: page.driver.execute_script(_CELLS_JS, 1), 30)
    assert len(before) == 12, before
    drag_slider(page, 1, 120)
    after = wait_for("the heatmap to change", lambda: (c := page.driver.execute_script(_CELLS_JS, 1)) != before and c, 30)
    assert len(after) == 12 and after != before
    # one heatmap, replaced in place (not appended)
    assert page.driver.execute_script(
        "return document.querySelectorAll('.jp-CodeCell')[1].querySelectorAll('table.heatmap-cells').length") == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.driver.save_screenshot(str(ARTIFACTS / "browser-widgets.png"))
    assert page.state()["status"] == "idle"


def test_an_error_in_the_callback_is_shown_and_bindings_are_kept(lab_page):
    page = lab_page
    assert "n is 1" in page.driver.execute_script(_OUTPUT_TEXT_JS, 2)
    drag_slider(page, 2, 300)  # to the right end: n > 2 fails inside the callback
    def shown():
        text = page.driver.execute_script(_OUTPUT_TEXT_JS, 2)
        return text if "ShapeError" in text else None

    text = wait_for("the error in the interact output", shown, 30)
    assert "in function risky" in text
    # the kernel is alive and kept every binding: run a new cell through the page's kernel
    assert run_in_page_kernel(page, "kept + 1") == "42"
    assert page.state()["status"] == "idle"


def test_explore_redraws_as_the_temperature_slider_moves(lab_page):
    page = lab_page
    before = wait_for("the explorer's heatmap", lambda: page.driver.execute_script(_CELLS_JS, 3), 30)
    assert len(before) == 11 * 11, len(before)
    drag_slider(page, 3, -150)  # towards 0.1: sharper weights, other colours
    after = wait_for("the explorer's heatmap to change",
                     lambda: (c := page.driver.execute_script(_CELLS_JS, 3)) != before and c, 30)
    assert len(after) == 11 * 11
    text = page.driver.execute_script(_OUTPUT_TEXT_JS, 3)
    assert "layer 0, head 0, temperature" in text and "temperature 1," not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.driver.save_screenshot(str(ARTIFACTS / "browser-explore.png"))
    assert page.state()["status"] == "idle"


def test_an_error_in_explore_is_shown_and_bindings_are_kept(lab_page):
    """Typing a word the model's vocabulary lacks makes the explorer's re-run fail: the
    error shows in its output, the kernel lives on, earlier bindings are kept, and the
    explorer draws again once the sentence is fixed."""
    from selenium.webdriver.common.keys import Keys

    page = lab_page
    wait_for("the word explorer's heatmap", lambda: page.driver.execute_script(_CELLS_JS, 4), 30)
    box = page.driver.execute_script(
        "return document.querySelectorAll('.jp-CodeCell')[4].querySelector('.widget-text input')")
    assert box is not None, "no sentence box drawn"
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()
    box.send_keys(Keys.END, " dog", Keys.ENTER)

    def shown():
        text = page.driver.execute_script(_OUTPUT_TEXT_JS, 4)
        return text if "ValueError" in text else None

    text = wait_for("the explorer's error in its output", shown, 30)
    assert "'dog' is not in the vocabulary" in text, text
    assert run_in_page_kernel(page, "kept + 1") == "42"
    # back to known words: the heatmap returns in place of the error
    for _ in range(4):
        box.send_keys(Keys.BACKSPACE)
    box.send_keys(" mat", Keys.ENTER)
    wait_for("the explorer's heatmap again",
             lambda: (c := page.driver.execute_script(_CELLS_JS, 4)) and len(c) == 9 and "ValueError" not in page.driver.execute_script(_OUTPUT_TEXT_JS, 4), 30)
    assert page.state()["status"] == "idle"
