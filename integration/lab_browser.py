"""A real JupyterLab driven by a real browser, for test_browser.py and scripts/screenshot.py.

* ``JupyterLabServer``: ``jupyter lab`` on a free loopback port with a random token, a
  private settings/workspace/runtime directory (so nothing of the user's leaks in and the
  news/update checks stay off: no network), its log in a file, its own process group;
  ``stop()`` terminates the group (kernels included) and always returns.
* ``chrome()``: Debian's chromium (``/usr/bin/chromium``) through Debian's chromedriver
  (``/usr/bin/chromedriver``), headless, no sandbox (we run as root); selenium never
  downloads a driver.
* ``LabPage``: open a notebook, wait for its kernel, Run → Run All Cells through the
  menu, wait (bounded) until every code cell has run, read outputs, scroll, screenshot.

Every wait is bounded and raises ``LabError`` with what it last saw.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("ATTENTION_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ATTENTION_CHROMEDRIVER", "/usr/bin/chromedriver")
VENV_BIN = Path(sys.prefix) / "bin"


class LabError(AssertionError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe, timeout: float, interval: float = 0.25):
    """Calls probe() until it returns something truthy (returned) or timeout s pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
        except LabError:
            raise
        except Exception as e:  # noqa: BLE001 (reported below if it never succeeds)
            last = e
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")
        time.sleep(interval)


class JupyterLabServer:
    def __init__(self, root_dir: Path, state_dir: Path, env: dict[str, str] | None = None):
        self.root_dir = Path(root_dir)
        self.state_dir = Path(state_dir)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.state_dir / "jupyter-lab.log"
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.env = dict(env or os.environ)

    def start(self, timeout: float = 90) -> "JupyterLabServer":
        settings = self.state_dir / "lab-settings"
        news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        news.parent.mkdir(parents=True, exist_ok=True)
        news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(self.env)
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        env["JUPYTER_CONFIG_DIR"] = str(self.state_dir / "config")
        env["JUPYTER_RUNTIME_DIR"] = str(self.state_dir / "runtime")
        env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(self.state_dir / "workspaces")
        jupyter = VENV_BIN / "jupyter"
        cmd = [
            str(jupyter) if jupyter.exists() else "jupyter", "lab",
            "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.expose_app_in_browser=True",
            *(["--allow-root"] if os.geteuid() == 0 else []),
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

        def ready():
            if self.proc.poll() is not None:
                raise LabError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            url = f"{self.base_url}/api/status?token={self.token}"
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        try:
            wait_for("jupyter lab to answer /api/status", ready, timeout)
        except LabError as e:
            self.stop()
            raise LabError(f"{e}\n--- jupyter lab log\n{self.log()}") from None
        return self

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self):
        """Terminates the server's process group (the kernels it started too); bounded."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc is not None:
            # anything left in the group (a kernel that ignored SIGTERM)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def chrome(profile_dir: Path, width: int = 1400, height: int = 1000, log_path: Path | None = None):
    """Debian's chromium, headless, through Debian's chromedriver (no driver download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise LabError(f"{path} is missing: run scripts/setup.sh (apt: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        f"--window-size={width},{height}", "--force-device-scale-factor=1",
        f"--user-data-dir={profile_dir}", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--metrics-recording-only", "--hide-scrollbars", "--lang=en-US",
    ):
        options.add_argument(arg)
    service = Service(CHROMEDRIVER, log_output=str(log_path) if log_path else subprocess.DEVNULL)
    driver = webdriver.Chrome(service=service, options=options)
    # the page's viewport exactly width × height (--window-size includes the window's frame)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


# JavaScript run in the page (JupyterLab 4 exposes the app as window.jupyterapp when
# --LabApp.expose_app_in_browser is on).
_JS_STATE = """
const app = window.jupyterapp;
if (!app || !app.shell) return {ready: false, why: 'no window.jupyterapp yet'};
const w = app.shell.currentWidget;
if (!w || !w.sessionContext || !w.content || !w.content.widgets) return {ready: false, why: 'no notebook panel'};
const ctx = w.sessionContext;
const kernel = ctx.session && ctx.session.kernel;
const cells = w.content.widgets.filter(c => c.model.type === 'code');
const errors = [];
let ran = 0;
for (const c of cells) {
    if (c.model.executionCount !== null && c.model.executionCount !== undefined) ran += 1;
    const outs = c.model.outputs.toJSON();
    for (const o of outs) {
        if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
        if (o.output_type === 'stream' && o.name === 'stderr') errors.push('stderr: ' + o.text);
    }
}
return {
    ready: true,
    path: w.context ? w.context.path : null,
    kernelName: kernel ? kernel.name : null,
    kernelDisplayName: ctx.kernelDisplayName,
    status: kernel ? kernel.status : null,
    dialogs: document.querySelectorAll('.jp-Dialog').length,
    codeCells: cells.length,
    ran: ran,
    pending: Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
        .filter(p => p.textContent.includes('*')).length,
    errors: errors,
};
"""


class LabPage:
    def __init__(self, driver, server: JupyterLabServer):
        self.driver = driver
        self.server = server

    def state(self) -> dict:
        return self.driver.execute_script(_JS_STATE)

    def open_notebook(self, name: str, timeout: float = 90) -> dict:
        self.driver.get(self.server.url(f"lab/tree/{name}"))

        def kernel_idle():
            s = self.state()
            if s.get("ready") and s.get("dialogs"):
                text = self.driver.execute_script(
                    "return Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.textContent).join(' | ')")
                raise LabError(f"a dialog opened instead of the kernel: {text}")
            return s if s.get("ready") and s.get("path") == name and s.get("status") == "idle" else None

        return wait_for(f"{name} to open with an idle kernel", kernel_idle, timeout)

    def click_menu(self, menu: str, label: str, timeout: float = 20):
        """Menu bar → item by their visible labels, as a person would (Run → Run All Cells)."""
        from selenium.webdriver.common.by import By

        def menu_item():
            for li in self.driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item"):
                if li.text.strip() == menu:
                    return li
            return None

        wait_for(f"menu {menu!r}", menu_item, timeout).click()

        def visible_item():
            for li in self.driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item"):
                labels = li.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
                if labels and labels[0].text.strip() == label and li.is_displayed():
                    if "lm-mod-disabled" in (li.get_attribute("class") or ""):
                        raise LabError(f"menu item {menu} → {label} is disabled")
                    return li
            return None

        wait_for(f"menu item {menu} → {label}", visible_item, timeout).click()

    def run_all(self, timeout: float = 180) -> dict:
        self.click_menu("Run", "Run All Cells")

        def finished():
            s = self.state()
            if s["errors"] and s["status"] == "idle":
                raise LabError(f"errors while running all cells: {s['errors']}")
            return s if s["status"] == "idle" and s["ran"] == s["codeCells"] and s["pending"] == 0 else None

        return wait_for("every code cell to run and the kernel to be idle", finished, timeout)

    def outputs_text(self) -> str:
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(e => e.textContent).join('\\n')")

    def scroll_to(self, css: str, index: int = 0, block: str = "center") -> bool:
        """Scrolls the index-th element matching css into view; waits two animation frames."""
        found = self.driver.execute_script(
            """const els = document.querySelectorAll(arguments[0]);
               const el = els[arguments[1]];
               if (!el) return false;
               el.scrollIntoView({block: arguments[2]});
               return true;""", css, index, block)
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")
        return found


def copy_notebooks(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted(Path(src).glob("*.ipynb")):
        shutil.copy(nb, dest / nb.name)
    return dest
