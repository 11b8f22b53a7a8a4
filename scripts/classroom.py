"""`make classroom`: a class of N simulated students on a real JupyterHub, on loopback.

JupyterHub (PyPI) with Debian's configurable-http-proxy, the simple local process spawner
and the dummy authenticator. A service token creates N users and starts their single-user
servers (REST); each student then starts a kernel on their own server and runs a lesson
cell by cell over the kernel websocket, all students at once. Reported per kernel
(the attention kernel with its lesson, ipykernel with the same lesson in numpy, measured
the same way in the same run):

- students served with every output equal to the solo reference run of that lesson;
- p50 / p99 cell latency (execute_request sent → execute_reply and idle received);
- resident memory per student: the single-user server plus its kernel (VmRSS).

    .venv/bin/python scripts/classroom.py --students 20 [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

VENV_BIN = Path(sys.prefix) / "bin"

# The same lesson in the attention language and in numpy (bench/run_bench.py's multi_head).
ATTENTION_LESSON = [
    "let X = randn(64, 32, seed: 1)\nlet Wq = randn(32, 32, seed: 2) / sqrt(32)\nlet Wk = randn(32, 32, seed: 3) / sqrt(32)\n"
    "let Wv = randn(32, 32, seed: 4) / sqrt(32)\nlet Wo = randn(32, 32, seed: 5) / sqrt(32)\nX.shape",
    "let out = multi_head(X, Wq, Wk, Wv, Wo, heads: 4)\nout.shape",
    "let out_causal = multi_head(X, Wq, Wk, Wv, Wo, heads: 4, mask: causal_mask(64))\nprint(out_causal.shape)",
    "let s = 0\nfor i in 0..<2000 { s = s + i }\ns",
    "print(\"done\", s)",
]
PYTHON_LESSON = [
    "import math, numpy as np\n"
    "def multi_head(x, wq, wk, wv, wo, heads, mask=None):\n"
    "    n, d = x.shape; dk = d // heads\n"
    "    split = lambda m: np.ascontiguousarray(m.reshape(n, heads, dk).transpose(1, 0, 2))\n"
    "    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)\n"
    "    s = q @ k.transpose(0, 2, 1) / math.sqrt(dk)\n"
    "    if mask is not None: s = s + mask\n"
    "    s = np.exp(s - s.max(axis=-1, keepdims=True)); s /= s.sum(axis=-1, keepdims=True)\n"
    "    return (s @ v).transpose(1, 0, 2).reshape(n, d) @ wo\n"
    "rng = np.random.default_rng(1)\nX = rng.standard_normal((64, 32))\n"
    "Wq, Wk, Wv, Wo = (rng.standard_normal((32, 32)) / math.sqrt(32) for _ in range(4))\nX.shape",
    "out = multi_head(X, Wq, Wk, Wv, Wo, 4)\nout.shape",
    "out_causal = multi_head(X, Wq, Wk, Wv, Wo, 4, np.triu(np.full((64, 64), -np.inf), 1))\nprint(out_causal.shape)",
    "s = 0\nfor i in range(2000): s = s + i\ns",
    "print(\"done\", s)",
]
LESSONS = {"attention": ATTENTION_LESSON, "python3": PYTHON_LESSON}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, token: str, port: int) -> Path:
    config = folder / "jupyterhub_config.py"
    config.write_text(f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.JupyterHub.db_url = "sqlite:///{folder}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = ["{VENV_BIN}/jupyterhub-singleuser"]
c.Spawner.args = {['--allow-root'] if os.geteuid() == 0 else []!r}
c.Spawner.environment = {{"PATH": "{VENV_BIN}:" + "{os.environ.get('PATH', '')}"}}
c.Spawner.http_timeout = 300
c.Spawner.start_timeout = 300
c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
c.JupyterHub.services = [{{"name": "classroom", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{"name": "classroom", "scopes": ["admin:users", "admin:servers", "access:servers"],
                             "services": ["classroom"]}}]
c.JupyterHub.log_level = "WARN"
""")
    return config


class Hub:
    def __init__(self, folder: Path):
        self.folder = folder
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = AsyncHTTPClient(max_clients=200)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        config = write_config(self.folder, self.token, self.port)
        env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
        # Debian's proxy finds its node modules only with NODE_PATH when `node` is not Debian's.
        env["NODE_PATH"] = "/usr/share/nodejs"
        self.log = open(self.folder / "hub.log", "wb")
        self.process = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=self.folder,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    async def api(self, method: str, path: str, body: object | None = None, user_path: bool = False):
        url = (self.url + path) if user_path else f"{self.url}/hub/api{path}"
        request = HTTPRequest(url, method=method, headers={"Authorization": f"token {self.token}"},
                              body=None if body is None and method == "GET" else json.dumps(body or {}),
                              request_timeout=300, allow_nonstandard_methods=True)
        response = await self.http.fetch(request, raise_error=False)
        if response.code >= 400:
            raise RuntimeError(f"{method} {url}: {response.code} {response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    async def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited: see {self.folder / 'hub.log'}")
            try:
                await self.api("GET", "/")
                return
            except Exception:
                await asyncio.sleep(0.5)
        raise RuntimeError("jupyterhub did not come up")

    async def start_server(self, name: str, timeout: float = 240) -> None:
        await self.api("POST", f"/users/{name}")
        await self.api("POST", f"/users/{name}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = await self.api("GET", f"/users/{name}")
            server = user.get("servers", {}).get("")
            if server and server.get("ready"):
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"the server of {name} did not start")


def message(msg_type: str, content: dict, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "student",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}


async def run_lesson(hub: Hub, name: str, kernel: str, cells: list[str]) -> dict:
    """One student: start a kernel on their server, run every cell over the websocket."""
    created = await hub.api("POST", f"/user/{name}/api/kernels", {"name": kernel}, user_path=True)
    kernel_id = created["id"]
    ws_url = hub.url.replace("http", "ws", 1) + f"/user/{name}/api/kernels/{kernel_id}/channels"
    # tornado's default 20 s would fail a student whose server is slow to answer under load.
    ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {hub.token}"},
                                             connect_timeout=300, request_timeout=300),
                                 max_message_size=64 << 20)
    session = uuid.uuid4().hex
    outputs: list[list] = []
    latencies: list[float] = []
    try:
        # The kernel is ready when it answers kernel_info; cell latencies start after that.
        info = message("kernel_info_request", {}, session)
        await ws.write_message(json.dumps(info))
        while True:
            raw = await asyncio.wait_for(ws.read_message(), timeout=120)
            if raw is None:
                raise RuntimeError(f"{name}: websocket closed before kernel_info_reply")
            msg = json.loads(raw)
            if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") == info["header"]["msg_id"]:
                break
        # The help menu's links, fetched as the browser would (from the hub's address, the
        # user's token): a link without the user's prefix would leave their server.
        help_links = []
        # Links to other sites (ipykernel's Python and NumPy docs) are listed, not fetched:
        # this machine has no outside network, and they are not the hub's to serve.
        for link in msg["content"].get("help_links", []):
            if "://" in link["url"]:
                help_links.append({"url": link["url"], "status": None})
                continue
            fetched = await hub.http.fetch(HTTPRequest(hub.url + link["url"], headers={"Authorization": f"token {hub.token}"},
                                                       request_timeout=120), raise_error=False)
            help_links.append({"url": link["url"], "status": fetched.code})
        for code in cells:
            request = message("execute_request", {"code": code, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False,
                                                  "stop_on_error": True}, session)
            msg_id = request["header"]["msg_id"]
            start = time.monotonic()
            await ws.write_message(json.dumps(request))
            cell_out: list = []  # IOPub outputs in order, then the reply's status (another socket)
            status = None
            replied = idle = False
            while not (replied and idle):
                raw = await asyncio.wait_for(ws.read_message(), timeout=120)
                if raw is None:
                    raise RuntimeError(f"{name}: websocket closed")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "execute_reply":
                    replied = True
                    status = msg["content"]["status"]
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif kind == "stream":
                    # A kernel may split a stream over several messages (ipykernel flushes on
                    # a timer): consecutive pieces of one stream count as one output.
                    if cell_out and cell_out[-1][0] == msg["content"]["name"]:
                        cell_out[-1][1] += msg["content"]["text"]
                    else:
                        cell_out.append([msg["content"]["name"], msg["content"]["text"]])
                elif kind in ("execute_result", "display_data"):
                    cell_out.append([kind, msg["content"]["data"].get("text/plain")])
                elif kind == "error":
                    cell_out.append(["error", msg["content"]["ename"]])
            latencies.append(time.monotonic() - start)
            outputs.append(cell_out + [["status", status]])
    finally:
        ws.close()
    return {"name": name, "kernel_id": kernel_id, "outputs": outputs, "latencies": latencies, "help_links": help_links}


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes() -> dict[int, tuple[int, str, dict]]:
    """pid → (ppid, cmdline, environ subset) for every process we can read."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            env = {}
            if "jupyterhub-singleuser" in cmd:
                for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    if item.startswith(b"JUPYTERHUB_USER="):
                        env["user"] = item.split(b"=", 1)[1].decode()
            found[pid] = (ppid, cmd, env)
        except (OSError, ValueError, IndexError):
            continue
    return found


def memory_per_student(names: list[str]) -> dict[str, dict]:
    """Each student's single-user server and its kernel children, resident KiB."""
    table = processes()
    result = {}
    for name in names:
        servers = [pid for pid, (_, cmd, env) in table.items() if env.get("user") == name]
        kernels = [pid for pid, (ppid, _, _) in table.items() if ppid in servers]
        result[name] = {"server_kib": sum(rss_kib(p) for p in servers), "kernel_kib": sum(rss_kib(p) for p in kernels)}
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def run_class(hub: Hub, kernel: str, students: int, prefix: str, spawn_at_once: int = 4) -> dict:
    names = [f"{prefix}{i:03d}" for i in range(students)]
    reference_name = f"{prefix}ref"
    await hub.start_server(reference_name)
    reference = await run_lesson(hub, reference_name, kernel, LESSONS[kernel])
    started = time.monotonic()
    # Students log in over minutes, not in one second: at most `spawn_at_once` servers start
    # together (40 Python servers starting at once on two cores miss the hub's timeouts).
    # The start-up is not what is measured: the lesson runs once every server is up.
    gate = asyncio.Semaphore(spawn_at_once)

    async def start(name: str) -> None:
        async with gate:
            await hub.start_server(name)
    await asyncio.gather(*(start(name) for name in names))
    spawn_s = time.monotonic() - started
    started = time.monotonic()
    results = await asyncio.gather(*(run_lesson(hub, name, kernel, LESSONS[kernel]) for name in names),
                                   return_exceptions=True)
    class_s = time.monotonic() - started
    memory = memory_per_student(names)
    good = [r for r in results if isinstance(r, dict) and r["outputs"] == reference["outputs"]]
    failures = [repr(r) if not isinstance(r, dict) else f"{r['name']}: {r['outputs']}" for r in results
                if not (isinstance(r, dict) and r["outputs"] == reference["outputs"])]
    latencies = [t for r in results if isinstance(r, dict) for t in r["latencies"]]
    per_student = [m["server_kib"] + m["kernel_kib"] for m in memory.values()]
    for name in names + [reference_name]:  # free the machine for the next kernel's class
        await hub.api("DELETE", f"/users/{name}/server")
    return {
        "kernel": kernel, "students": students, "correct": len(good), "failures": failures[:5],
        "reference_outputs": reference["outputs"], "reference_user": reference_name,
        "help_links": reference["help_links"], "spawn_s": spawn_s, "class_s": class_s,
        "cells": len(latencies), "p50_s": percentile(latencies, 50) if latencies else None,
        "p99_s": percentile(latencies, 99) if latencies else None,
        "server_mib": sum(m["server_kib"] for m in memory.values()) / 1024 / max(1, students),
        "kernel_mib": sum(m["kernel_kib"] for m in memory.values()) / 1024 / max(1, students),
        "student_mib": sum(per_student) / 1024 / max(1, students),
    }


def report(runs: list[dict]) -> str:
    lines = ["| kernel | students | all outputs right | p50 cell | p99 cell | MiB per student (server + kernel) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        if r["p99_s"] is None:
            lines.append(f"| {r['kernel']} | {r['students']} | failed: {r['failures'][0][:80]} | | | |")
            continue
        lines.append(f"| {r['kernel']} | {r['students']} | {r['correct']}/{r['students']} | "
                     f"{r['p50_s'] * 1000:.0f} ms | {r['p99_s'] * 1000:.0f} ms | "
                     f"{r['student_mib']:.0f} ({r['server_mib']:.0f} + {r['kernel_mib']:.1f}) |")
    return "\n".join(lines)


def p99_within(run: dict, limit_s: float) -> bool:
    """Whether a class ran (a failed size has no latencies) with p99 cell latency within the limit."""
    return run["p99_s"] is not None and run["p99_s"] <= limit_s


def largest_classes(runs: list[dict], limit_s: float) -> str:
    """One line per kernel: the largest class run here whose p99 cell latency is within the limit."""
    lines = []
    for kernel in dict.fromkeys(r["kernel"] for r in runs):
        within = [r["students"] for r in runs
                  if r["kernel"] == kernel and p99_within(r, limit_s) and r["correct"] == r["students"]]
        largest = max(within) if within else None
        lines.append(f"{kernel}: largest class run with p99 <= {limit_s:g} s and every output right: "
                     f"{largest if largest is not None else 'none'}")
    return "\n".join(lines)


async def run_size(args, students: int, kernels: list[str]) -> list[dict]:
    """One class size on a hub of its own (a hub that served hundreds of servers before is not
    the hub a class meets), each kernel in turn."""
    folder = Path(tempfile.mkdtemp(prefix="classroom-"))
    hub = Hub(folder)
    hub.start()
    runs = []
    try:
        await hub.wait_up()
        for kernel in kernels:
            try:
                run = await run_class(hub, kernel, students, "a" if kernel == "attention" else "p", args.spawn_at_once)
            except Exception as error:  # a class this machine cannot hold: report it
                print(f"{kernel}, {students} students: {error!r}", file=sys.stderr)
                run = {"kernel": kernel, "students": students, "correct": 0, "failures": [repr(error)],
                       "p50_s": None, "p99_s": None, "server_mib": 0, "kernel_mib": 0, "student_mib": 0}
            runs.append(run)
            print(report([run]).splitlines()[-1], file=sys.stderr, flush=True)
        return runs
    finally:
        hub.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"hub folder kept: {folder}", file=sys.stderr)


async def main_async(args) -> list[dict]:
    runs: list[dict] = []
    kernels = list(args.kernels)
    # Class sizes in ascending order, both kernels at each size (the same machine state); a
    # kernel's sweep stops after the first size whose p99 is over the limit (or that failed).
    for students in sorted(args.students):
        if not kernels:
            break
        size_runs = await run_size(args, students, kernels)
        runs.extend(size_runs)
        kernels = [r["kernel"] for r in size_runs if p99_within(r, args.p99_limit)]
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[20],
                        help="class sizes to run, e.g. 10 40 80: the report names the largest with p99 within --p99-limit")
    parser.add_argument("--spawn-at-once", type=int, default=4, help="servers started together (default 4)")
    parser.add_argument("--p99-limit", type=float, default=1.0, help="seconds (default 1.0)")
    parser.add_argument("--kernels", nargs="+", default=["attention", "python3"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the hub's folder (logs)")
    args = parser.parse_args()
    if shutil.which("configurable-http-proxy") is None:
        print("configurable-http-proxy not found: apt-get install node-configurable-http-proxy", file=sys.stderr)
        return 2
    runs = asyncio.run(main_async(args))
    print(report(runs))
    print(largest_classes(runs, args.p99_limit))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0 if all(r["correct"] == r["students"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
