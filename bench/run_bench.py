#!/usr/bin/env python3
"""`make bench`: the kernel and the attention library against ipykernel and numpy, in one run.

Run from the repository root with the project's virtual environment (``make bench`` builds
the release binaries and installs the kernelspec first):

    .venv/bin/python bench/run_bench.py [--rounds N] [--quick] [--skip-kernel] [--skip-notebooks]

What it measures (issue #5), side by side, in this one run:

* kernel cold start, launch to the first ``kernel_info_reply``, median of 10: the
  ``attention`` kernel against ipykernel (``python3``), both through jupyter_client;
* execute round trip (request sent -> ``status: idle`` on IOPub), median / p90 / p99 over
  500 trivial cells (``1 + 1``), after 20 warm-up cells;
* resident memory (VmRSS from /proc/<pid>/status) of each kernel process when idle and
  after running multi_head at each size (the matrices stay bound, as in a notebook);
* ``jupyter nbconvert --to notebook --execute`` time of each notebook in notebooks/ and
  of all of them in one command;
* ``multi_head`` forward at (n, d_model, heads) = (8, 16, 2), (128, 64, 4), (512, 512, 8),
  (2048, 512, 8), without and with the causal mask, as GFLOP/s with
  FLOPs = 8·n·d² + 4·n²·d (four projections, Q·Kᵀ and weights·V; the same count for both
  masks), for AttentionCore (the ``attention-bench`` executable) and numpy float64
  computing the same thing, against the dgemm peak (numpy float64 2048×2048 matmul).

BLAS environment. A machine may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which pin
OpenBLAS to other kernels. The numpy measurements run in a subprocess with both unset
(only there), and report the kernel family OpenBLAS chose. AttentionCore is measured
twice: with the environment as inherited (what the kernel gets when started from this
shell) and with the same two variables unset (the numpy conditions; AttentionCore's
loader then names the kernel family from the CPU's features, as the kernel does). Implementations
alternate over ``--rounds`` rounds so slow phases of a shared machine hit both; each
figure is the median over rounds of the per-round median time, and the peak is the best
matmul over all rounds.

Interpreter (issue #10): student-style loops in the attention language against the same
algorithm in plain CPython (``bench/interpreter/NAME.attn`` and its twin ``NAME.py``): a
scalar loop, a 48×48 triple-loop matrix product, a matrix filled element by element at
100, 200 and 400 (per-element cost printed: it must not grow with the size), 20,000 list
appends and recursive ``fib``. Only the interpreter is timed: ``attention-bench --interpreter``
times ``Session.run`` in-process, and the Python worker times ``exec`` of the compiled twin;
both report the best of ``--interp-runs`` runs (15) after one warm-up, over ``--interp-rounds``
(5) alternating rounds, each process new.
``--interpreter-only`` (``make bench-interp``) measures just this table and replaces only its
section of bench/latest.md.

The table goes to stdout and to bench/latest.md. The kernel parts need the ``attention``
kernelspec (``make install``); when a part cannot run, its rows say why.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import glob
import json
import math
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(8, 16, 2), (128, 64, 4), (512, 512, 8), (2048, 512, 8)]
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def flops(n: int, d: int) -> float:
    return 8.0 * n * d * d + 4.0 * n * n * d


def clean_blas_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in BLAS_VARIABLES:
        env.pop(name, None)
    return env


# --------------------------------------------------------------------------------------
# numpy worker (runs in its own process, with the BLAS variables unset)
# --------------------------------------------------------------------------------------


def numpy_multi_head(np, x, wq, wk, wv, wo, heads, mask):
    """softmax(Qₕ·Kₕᵀ/√d_k + mask)·Vₕ per head (contiguous column blocks), concatenated, ·W_O."""
    n, d = x.shape
    dk = d // heads

    def split(m):  # heads × n × d_k, contiguous so every product goes to BLAS
        return np.ascontiguousarray(m.reshape(n, heads, dk).transpose(1, 0, 2))

    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)
    s = q @ k.transpose(0, 2, 1)
    s *= 1.0 / math.sqrt(dk)
    if mask is not None:
        s += mask
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    o = (s @ v).transpose(1, 0, 2).reshape(n, d)
    return o @ wo


def numpy_blas_info(np) -> dict:
    info: dict = {"numpy": np.__version__}
    try:
        import threadpoolctl  # optional

        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                info.update(
                    blas=f"{pool.get('internal_api')} {pool.get('version')}",
                    blas_core=pool.get("architecture"),
                    blas_threads=pool.get("num_threads"),
                    source="threadpoolctl",
                )
                return info
    except ImportError:
        pass
    # Without threadpoolctl: ask the OpenBLAS bundled with numpy directly.
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    names = [
        ("scipy_openblas_get_corename64_", "scipy_openblas_get_config64_", "scipy_openblas_get_num_threads64_"),
        ("openblas_get_corename64_", "openblas_get_config64_", "openblas_get_num_threads64_"),
        ("openblas_get_corename", "openblas_get_config", "openblas_get_num_threads"),
    ]
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for core_name, config_name, threads_name in names:
            try:
                core, config, threads = (getattr(lib, name) for name in (core_name, config_name, threads_name))
            except AttributeError:
                continue
            core.restype = config.restype = ctypes.c_char_p
            info.update(blas=" ".join(config().decode().split()[:2]), blas_core=core().decode(),
                        blas_threads=threads(), source="ctypes")
            return info
    info.update(blas="unknown", blas_core="unknown", blas_threads=None, source="none")
    return info


def numpy_worker(args) -> None:
    import numpy as np

    sizes = [tuple(int(v) for v in part.split(",")) for part in args.sizes.split(";")]
    rng = np.random.default_rng(1)
    # dgemm peak: C = A·B for 2048×2048 float64.
    a, b = rng.standard_normal((2048, 2048)), rng.standard_normal((2048, 2048))
    a @ b
    matmul = []
    for _ in range(args.peak_runs):
        t0 = time.perf_counter()
        a @ b
        matmul.append(time.perf_counter() - t0)
    results = []
    for n, d, h in sizes:
        x = rng.standard_normal((n, d))
        ws = [rng.standard_normal((d, d)) / math.sqrt(d) for _ in range(4)]
        causal = np.triu(np.full((n, n), -np.inf), 1)
        for mask_name, mask in (("none", None), ("causal", causal)):
            for _ in range(2):
                numpy_multi_head(np, x, *ws, h, mask)
            times = []
            start = time.perf_counter()
            while len(times) < args.min_runs or time.perf_counter() - start < args.min_time:
                t0 = time.perf_counter()
                numpy_multi_head(np, x, *ws, h, mask)
                times.append(time.perf_counter() - t0)
                if len(times) >= 10_000:
                    break
            results.append(
                {"n": n, "d_model": d, "heads": h, "mask": mask_name, "runs": len(times),
                 "median_s": statistics.median(times), "best_s": min(times)}
            )
    print(json.dumps({"blas_info": numpy_blas_info(np), "matmul_s": matmul,
                      "peak_gflops": 2 * 2048**3 / min(matmul) / 1e9, "results": results}))


# --------------------------------------------------------------------------------------
# multi_head: rounds of numpy and attention-bench
# --------------------------------------------------------------------------------------


def generation_report(generation: dict) -> str:
    """`attention-bench --generate`: 500 greedy tokens, KV cache against a forward pass per step."""
    lines = ["## generate: 500 tokens, nanoGPT's quick-start shape (vocab 65, 4 layers, 4 heads, d 128)", ""]
    if "error" in generation:
        return "\n".join(lines + [f"Not measured: {generation['error']}.", ""])
    lines += ["Past the context the window slides and every step recomputes it (exact), so context 64 is cached "
              "for its first 63 tokens only; context 512 is cached throughout.", "",
              "| context | KV cache | forward per step | speed-up | same ids | target (< 1 s) |", "| --- | --- | --- | --- | --- | --- |"]
    for row in generation["generate"]:
        lines.append(f"| {row['context']} | {fmt_time(row['kv_cache_s'])} | {fmt_time(row['recompute_s'])} | "
                     f"{row['speedup']:.1f}× | {'yes' if row['same_ids'] else '**no**'} | {verdict(row['kv_cache_s'] < 1.0)} |")
    return "\n".join(lines + [""])


def run_json(cmd: list[str], env: dict[str, str], timeout: float) -> dict:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout)


# --------------------------------------------------------------------------------------
# interpreter: bench/interpreter/*.attn against their CPython twins
# --------------------------------------------------------------------------------------

INTERP_DIR = ROOT / "bench" / "interpreter"
FILL_SIZES = (100, 200, 400)
# (program, label, elements filled: per-element ns is printed when set). fillN is fill.attn
# and fill.py with the line `n = 200` set to N (interpreter_programs writes them).
INTERP_PROGRAMS = [
    ("scalar_loop", "scalar loop, 1,000,000 × (s = s + i * i)", None),
    ("matmul48", "48×48 product as three loops over A[i, k]", None),
    *[(f"fill{n}", f"fill {n}×{n} element by element, W[i, j] = i + j", n * n) for n in FILL_SIZES],
    ("append", "20,000 appends, xs = xs + [item]", None),
    ("append_numbers", "20,000 numbers, xs = append(xs, v), then sum(xs)", None),
    ("fib", "recursive fib(25), 242,785 user-function calls", None),
]


def interpreter_programs(directory: Path) -> None:
    """Copies bench/interpreter/ into `directory`, adding the fill programs at each size."""
    for path in INTERP_DIR.iterdir():
        if path.suffix in (".attn", ".py"):
            shutil.copy(path, directory / path.name)
            if path.stem == "fill":
                for n in FILL_SIZES:
                    (directory / f"fill{n}{path.suffix}").write_text(path.read_text().replace("\nn = 200\n", f"\nn = {n}\n"))
INTERPRETER_HEADING = "## Interpreter (student loops against CPython)"


def python_interp_worker(args) -> None:
    """Times ``exec`` of each twin (compiled once, fresh globals per run); prints JSON."""
    import io
    import contextlib
    results = []
    for name in args.interp_programs.split(","):
        path = Path(args.interp_dir) / f"{name}.py"
        code = compile(path.read_text(), str(path), "exec")
        times, cpu_times, printed = [], [], ""
        for r in range(args.interp_runs + 1):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                c0, t0 = time.process_time(), time.perf_counter()
                exec(code, {"__name__": "__bench__"})
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            printed = out.getvalue().strip()
            if r > 0:
                times.append(elapsed)
                cpu_times.append(cpu)
        results.append({"file": str(path), "median_s": statistics.median(times), "best_s": min(times),
                        "cpu_best_s": min(cpu_times), "output": printed})
    print(json.dumps({"python": platform.python_version(), "results": results}))


def measure_interpreter(args, bench_bin: Path) -> dict:
    names = [name for name, _, _ in INTERP_PROGRAMS] + ["empty"]
    runs = ["--min-runs", str(args.interp_runs)]
    per: dict[str, dict[str, list[float]]] = {n: {"ours": [], "python": [], "ours_cpu": [], "python_cpu": []} for n in names}
    outputs: dict[str, dict[str, str]] = {n: {} for n in names}
    errors: dict[str, str] = {}
    python = shutil.which("python3.11") or sys.executable
    directory = Path(tempfile.mkdtemp(prefix="attn-interp-"))
    interpreter_programs(directory)
    for r in range(args.interp_rounds):
        print(f"bench: interpreter round {r + 1}/{args.interp_rounds}", file=sys.stderr)
        ours = run_json([str(bench_bin), "--interpreter", *runs, *[str(directory / f"{n}.attn") for n in names]], dict(os.environ), 1800)
        py = run_json([python, str(Path(__file__).resolve()), "--python-interp-worker", "--interp-programs", ",".join(names),
                       "--interp-dir", str(directory), "--interp-runs", str(args.interp_runs)], dict(os.environ), 1800)
        for n, a, b in zip(names, ours["results"], py["results"]):
            per[n]["ours"].append(a["best_s"])
            per[n]["python"].append(b["best_s"])
            per[n]["ours_cpu"].append(a["cpu_best_s"])
            per[n]["python_cpu"].append(b["cpu_best_s"])
            outputs[n] = {"ours": a["output"], "python": b["output"]}
            if a.get("error"):
                errors[n] = a["error"]
        python_version = py["python"]
    shutil.rmtree(directory, ignore_errors=True)
    # The best round of each side: a process of this VM runs memory-touching loops either at
    # full speed or at about half (CPython's own fill 200 takes 3.7-4.1 ms in some processes
    # and 7.2-7.8 ms in others, pinned to one core; a pure arithmetic loop does not vary), and
    # which processes land slow is chance, on both sides. The best process of each measures
    # the implementations; the median of the rounds is printed beside it.
    return {"per": {n: {k: min(v) for k, v in d.items()} for n, d in per.items()},
            "median": {n: {k: statistics.median(v) for k, v in d.items()} for n, d in per.items()},
            "outputs": outputs, "errors": errors, "python": python_version, "rounds": args.interp_rounds, "runs": args.interp_runs}


def interpreter_report(it: dict) -> list[str]:
    lines = [INTERPRETER_HEADING, "",
             f"Best of {it['runs']} runs per round (a short run on a shared machine loses whole time slices), the best of {it['rounds']} rounds, each round a new process "
             "for each side (on this VM a process runs memory-touching loops at full speed or at about half, by chance, on both sides: CPython's fill 200 "
             "takes 3.7-4.1 ms in some processes and 7.2-7.8 ms in others); the median over rounds is the last column; the interpreter only "
             f"(`Session.run` in-process, CPython {it['python']} `exec` of the twin in bench/interpreter/). "
             "Speed ratio = CPython time / our time (≥ 1.0× means at least as fast). Wall time, and CPU time (the time the process ran: "
             "on a loaded machine a run of tens of milliseconds loses time slices that a 1 ms run's best escapes, so per-element wall "
             "times grow with the size of the run on both sides; CPU time does not count the lost slices).", "",
             "| program | ours | CPython | speed vs CPython | CPU time, ours / CPython | speed vs CPython (CPU) | per element, ours (CPU) | per element, CPython (CPU) | target ≥ 1.0× | met | median of rounds: ours / CPython (speed) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    empty = it["per"]["empty"]

    def per_element(name: str, side: str, elements: int) -> float:
        """Seconds per element, the fixed cost of running a cell (empty.attn / empty.py) taken off."""
        return max(it["per"][name][side] - empty[side], 0.0) / elements

    for name, label, elements in INTERP_PROGRAMS:
        t = it["per"][name]
        ratio = t["python"] / t["ours"] if t["ours"] else None
        cpu_ratio = t["python_cpu"] / t["ours_cpu"] if t["ours_cpu"] else None
        per_ours = f"{per_element(name, 'ours_cpu', elements) * 1e9:.0f} ns" if elements else ""
        per_py = f"{per_element(name, 'python_cpu', elements) * 1e9:.0f} ns" if elements else ""
        error = it["errors"].get(name)
        cpu = f"{fmt_time(t['ours_cpu'])} / {fmt_time(t['python_cpu'])}"
        m = it["median"][name]
        median = f"{fmt_time(m['ours'])} / {fmt_time(m['python'])} ({m['python'] / m['ours']:.2f}×)" if m["ours"] else ""
        lines.append(f"| {label} | {fmt_time(t['ours'])} | {fmt_time(t['python'])} | {ratio:.2f}× | {cpu} | {cpu_ratio:.2f}× | {per_ours} | {per_py} | ≥ 1.0× | "
                     f"{verdict(None if error else ratio >= 1.0)} | {median} |")
    fills = [per_element(n, "ours", e) for n, _, e in INTERP_PROGRAMS if e]
    cpu_fills = [per_element(n, "ours_cpu", e) for n, _, e in INTERP_PROGRAMS if e]
    py_fills = [per_element(n, "python_cpu", e) for n, _, e in INTERP_PROGRAMS if e]
    if fills and min(fills) > 0 and min(cpu_fills) > 0:
        spread, cpu_spread = max(fills) / min(fills), max(cpu_fills) / min(cpu_fills)
        lines += ["", f"Running an empty cell takes {fmt_time(empty['ours'])} (CPython's exec {fmt_time(empty['python'])}); "
                  "per-element figures have it taken off. "
                  f"Element assignment costs {', '.join(f'{f * 1e9:.0f} ns' for f in cpu_fills)} of CPU time per element at 100, 200 and 400 "
                  f"(largest / smallest {cpu_spread:.2f}; CPython's list of lists {', '.join(f'{f * 1e9:.0f} ns' for f in py_fills)}); "
                  f"in wall time {', '.join(f'{f * 1e9:.0f} ns' for f in fills)} (largest / smallest {spread:.2f}). "
                  f"Target: the same at every size, ≤ 1.5: {verdict(cpu_spread <= 1.5)} in CPU time, {verdict(spread <= 1.5)} in wall time."]
    def same(a: str | None, b: str | None) -> bool:  # numbers print differently (1e+17 vs an int)
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except (TypeError, ValueError):
            return a == b
    # matmul48's matrices come from different generators (randn vs random.gauss): not compared.
    mismatched = [n for n, o in it["outputs"].items() if n not in ("matmul48", "empty") and not same(o.get("ours"), o.get("python"))]
    if mismatched or it["errors"]:
        lines += ["", "Outputs that differ from the CPython twin: " + ", ".join(mismatched) +
                  "".join(f"; {n} failed: {e}" for n, e in it["errors"].items())]
    lines.append("")
    return lines


def replace_interpreter_section(text: str, section: list[str]) -> str:
    """bench/latest.md with only the interpreter section replaced (or appended), the rest kept."""
    lines = text.rstrip("\n").split("\n") if text else []
    if INTERPRETER_HEADING in lines:
        start = lines.index(INTERPRETER_HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    else:
        lines += [""] + section
    return "\n".join(lines).rstrip("\n") + "\n"


def measure_multi_head(args, bench_bin: Path) -> dict:
    size_arg = ";".join(f"{n},{d},{h}" for n, d, h in SIZES)
    timing = ["--min-time", str(args.min_time), "--min-runs", str(args.min_runs)]
    runs: dict[str, list[dict]] = {"numpy": [], "ours": [], "ours_clean": []}
    for r in range(args.rounds):
        print(f"bench: multi_head round {r + 1}/{args.rounds}", file=sys.stderr)
        runs["numpy"].append(run_json(
            [sys.executable, str(Path(__file__).resolve()), "--numpy-worker", "--sizes", size_arg,
             "--peak-runs", "5", *timing], clean_blas_env(), 1800))
        runs["ours"].append(run_json([str(bench_bin), "--sizes", size_arg, *timing], dict(os.environ), 1800))
        runs["ours_clean"].append(run_json([str(bench_bin), "--sizes", size_arg, *timing], clean_blas_env(), 1800))

    def summarise(name: str) -> dict:
        table = {}
        for run in runs[name]:
            for row in run["results"]:
                key = (row["n"], row["d_model"], row["heads"], row["mask"])
                table.setdefault(key, {"medians": [], "bests": []})
                table[key]["medians"].append(row["median_s"])
                table[key]["bests"].append(row["best_s"])
                if "rss_kib" in row:
                    table[key]["rss_kib"] = row["rss_kib"]
        return {key: {"median_s": statistics.median(v["medians"]), "best_s": min(v["bests"]), "rss_kib": v.get("rss_kib")}
                for key, v in table.items()}

    return {
        "numpy": summarise("numpy"), "ours": summarise("ours"), "ours_clean": summarise("ours_clean"),
        "peak_gflops": max(run["peak_gflops"] for run in runs["numpy"]),
        "peak_runs": sum(len(run["matmul_s"]) for run in runs["numpy"]),
        "numpy_blas": runs["numpy"][0]["blas_info"],
        "ours_blas": {k: runs["ours"][0][k] for k in ("blas_core", "blas_threads", "cores")},
        "ours_clean_blas": {k: runs["ours_clean"][0][k] for k in ("blas_core", "blas_threads", "cores")},
    }


# --------------------------------------------------------------------------------------
# kernels through jupyter_client
# --------------------------------------------------------------------------------------

ATTENTION_SIZE_CELL = """let X = randn({n}, {d}, seed: 1)
let Wq = randn({d}, {d}, seed: 2) / sqrt({d})
let Wk = randn({d}, {d}, seed: 3) / sqrt({d})
let Wv = randn({d}, {d}, seed: 4) / sqrt({d})
let Wo = randn({d}, {d}, seed: 5) / sqrt({d})
let out = multi_head(X, Wq, Wk, Wv, Wo, heads: {h})
let out_causal = multi_head(X, Wq, Wk, Wv, Wo, heads: {h}, mask: causal_mask({n}))
out.shape"""

PYTHON_SETUP_CELL = """import math, numpy as np
def multi_head(x, wq, wk, wv, wo, heads, mask=None):
    n, d = x.shape; dk = d // heads
    split = lambda m: np.ascontiguousarray(m.reshape(n, heads, dk).transpose(1, 0, 2))
    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)
    s = q @ k.transpose(0, 2, 1) / math.sqrt(dk)
    if mask is not None: s = s + mask
    s = np.exp(s - s.max(axis=-1, keepdims=True)); s /= s.sum(axis=-1, keepdims=True)
    return (s @ v).transpose(1, 0, 2).reshape(n, d) @ wo
rng = np.random.default_rng(1)"""

PYTHON_SIZE_CELL = """X = rng.standard_normal(({n}, {d}))
Wq, Wk, Wv, Wo = (rng.standard_normal(({d}, {d})) / math.sqrt({d}) for _ in range(4))
out = multi_head(X, Wq, Wk, Wv, Wo, {h})
out_causal = multi_head(X, Wq, Wk, Wv, Wo, {h}, np.triu(np.full(({n}, {n}), -np.inf), 1))
out.shape"""


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def kernel_pid(km) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None and getattr(provisioner, "process", None) is not None:
        pid = provisioner.process.pid
    return pid


def wait_for(kc, channel: str, parent: str, msg_type: str, timeout: float, state: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    get = kc.get_shell_msg if channel == "shell" else kc.get_iopub_msg
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {msg_type} on {channel} within {timeout:.0f} s")
        try:
            msg = get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError(f"no {msg_type} on {channel} within {timeout:.0f} s") from None
        if msg.get("parent_header", {}).get("msg_id") != parent or msg["header"]["msg_type"] != msg_type:
            continue
        if state is not None and msg["content"].get("execution_state") != state:
            continue
        return msg


def start(kernel_name: str):
    from jupyter_client import KernelManager

    t0 = time.perf_counter()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    msg_id = kc.kernel_info()
    wait_for(kc, "shell", msg_id, "kernel_info_reply", 60)
    return km, kc, time.perf_counter() - t0


def wait_for_iopub(kc, timeout: float = 30) -> None:
    """Until IOPub delivers: a SUB socket drops what is published before its subscription
    reaches the kernel, so send kernel_info requests until one's status arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        try:
            wait_for(kc, "iopub", msg_id, "status", 0.5)
            wait_for(kc, "shell", msg_id, "kernel_info_reply", 10)
            return
        except TimeoutError:
            continue
    raise TimeoutError(f"IOPub delivered nothing within {timeout:.0f} s")


def stop(km, kc) -> None:
    try:
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


def execute(kc, code: str, timeout: float = 600) -> tuple[float, dict]:
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=True)
    wait_for(kc, "iopub", msg_id, "status", timeout, state="idle")
    elapsed = time.perf_counter() - t0
    reply = wait_for(kc, "shell", msg_id, "execute_reply", timeout)
    return elapsed, reply["content"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def measure_kernel(name: str, trivial: str, setup: str | None, size_cell: str, args) -> dict:
    result: dict = {"name": name}
    starts = []
    for _ in range(args.starts):
        km, kc, elapsed = start(name)
        starts.append(elapsed)
        stop(km, kc)
    result["start_s"] = starts
    km, kc, _ = start(name)
    try:
        wait_for_iopub(kc)
        pid = kernel_pid(km)
        for _ in range(20):
            _, content = execute(kc, trivial, timeout=30)
            if content.get("status") != "ok":
                raise RuntimeError(f"{trivial!r} gave {content.get('ename')}: {content.get('evalue')}")
        trips = [execute(kc, trivial, timeout=30)[0] for _ in range(args.cells)]
        result["trip_s"] = trips
        time.sleep(1.0)
        result["rss_idle_kib"] = rss_kib(pid) if pid else None
        if setup:
            execute(kc, setup)
        result["rss_after_kib"] = {}
        for n, d, h in SIZES:
            _, content = execute(kc, size_cell.format(n=n, d=d, h=h))
            ok = content.get("status") == "ok"
            result["rss_after_kib"][(n, d, h)] = rss_kib(pid) if ok and pid else f"{content.get('ename')}: {content.get('evalue')}"
    finally:
        stop(km, kc)
    return result


def measure_kernels(args) -> dict:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    out: dict = {}
    try:
        spec = KernelSpecManager().get_kernel_spec("attention")
        out["attention_argv"] = spec.argv
    except NoSuchKernel:
        out["error"] = "the attention kernelspec is not installed (make install)"
        return out
    for key, name, trivial, setup, cell in (
        ("ours", "attention", "1 + 1", None, ATTENTION_SIZE_CELL),
        ("ipykernel", "python3", "1+1", PYTHON_SETUP_CELL, PYTHON_SIZE_CELL),
    ):
        print(f"bench: kernel {name}", file=sys.stderr)
        try:
            out[key] = measure_kernel(name, trivial, setup, cell, args)
        except Exception as error:  # a kernel that does not work yet gives a row saying why
            out[key] = {"error": f"{type(error).__name__}: {error}"}
    return out


def measure_notebooks() -> dict:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        return {"error": "notebooks/ holds no .ipynb files yet"}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        def run(paths: list[Path]) -> float | str:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output-dir", tmp,
                 "--ExecutePreprocessor.timeout=600", *map(str, paths)],
                capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                return "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:160]
            return elapsed

        for path in notebooks:
            print(f"bench: nbconvert {path.name}", file=sys.stderr)
            results[path.name] = run([path])
        results[f"all {len(notebooks)}"] = run(notebooks)
    return results


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    swift = "unknown"
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    env = {name: os.environ.get(name) for name in BLAS_VARIABLES if os.environ.get(name)}
    return {"load_start": load_average(), "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
            "swift": swift, "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "blas_env": env}


def load_average() -> str:
    """The 1-minute load average: on a shared machine, other work skews every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def report(info: dict, mh: dict | None, kernels: dict | None, notebooks: dict | None, interp: dict | None = None) -> str:
    lines = ["# Benchmark (`make bench`)", ""]
    lines.append(f"- Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}; {info['date']}")
    lines.append(f"- {info['swift']}; Python {info['python']}")
    lines.append(f"- Load average (1 min) at start {info['load_start']}, at end {info.get('load_end', '?')} "
                 f"on {info['cores']} cores (other work on the machine slows both sides)")
    if info["blas_env"]:
        lines.append("- Inherited BLAS environment: " + ", ".join(f"`{k}={v}`" for k, v in info["blas_env"].items()))
    if mh:
        nb = mh["numpy_blas"]
        lines.append(
            f"- numpy {nb.get('numpy')} ({nb.get('blas')}, kernel {nb.get('blas_core')}, {nb.get('blas_threads')} threads; "
            f"via {nb.get('source')}), run with {' and '.join(BLAS_VARIABLES)} unset")
        lines.append(
            f"- AttentionCore: OpenBLAS kernel {mh['ours_blas']['blas_core']} as inherited, {mh['ours_clean_blas']['blas_core']} "
            f"with those variables unset; OpenBLAS single-threaded, row blocks over {mh['ours_blas']['cores']} cores")
    lines.append("")

    lines += ["## Kernel", ""]
    if kernels is None:
        lines.append("Skipped (--skip-kernel).")
    elif "error" in kernels:
        lines.append(f"Not measured: {kernels['error']}.")
    else:
        ours, ipy = kernels.get("ours", {}), kernels.get("ipykernel", {})
        if "error" in ours or "error" in ipy:
            for label, k in (("attention", ours), ("ipykernel", ipy)):
                if "error" in k:
                    lines.append(f"- {label}: not measured — {k['error']}")
            lines.append("")
        lines += ["| measure | ours | ipykernel | ours / ipykernel | target | met |", "| --- | --- | --- | --- | --- | --- |"]

        def row(label, f, fmt, target=None):
            a = f(ours) if "error" not in ours else None
            b = f(ipy) if "error" not in ipy else None
            ratio = a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
            met = None if target is None or ratio is None else ratio <= target
            lines.append(
                f"| {label} | {fmt(a) if isinstance(a, (int, float)) else (a or '—')} | {fmt(b) if isinstance(b, (int, float)) else (b or '—')} | "
                f"{f'{ratio:.3f}' if ratio is not None else '—'} | {f'≤ {target:.3g}' if target else ''} | {verdict(met) if target else ''} |")

        row(f"cold start → kernel_info_reply (median of {len(ours.get('start_s', ipy.get('start_s', [])))})",
            lambda k: statistics.median(k["start_s"]), fmt_time, 0.1)
        n_cells = len(ours.get("trip_s", ipy.get("trip_s", [])))
        row(f"execute round trip, median of {n_cells}", lambda k: statistics.median(k["trip_s"]), fmt_time, 0.5)
        row("execute round trip, p90", lambda k: percentile(k["trip_s"], 0.9), fmt_time)
        row("execute round trip, p99", lambda k: percentile(k["trip_s"], 0.99), fmt_time)
        mib = lambda v: f"{v / 1024:.1f} MiB"
        row("resident memory, idle", lambda k: k["rss_idle_kib"], mib, 1 / 3)
        for size in SIZES:
            row(f"resident memory after multi_head {size}", lambda k, s=size: k["rss_after_kib"].get(s), mib)
    lines.append("")

    lines += ["## Notebooks (`jupyter nbconvert --to notebook --execute`, attention kernel)", ""]
    if notebooks is None:
        lines.append("Skipped (--skip-notebooks).")
    elif "error" in notebooks:
        lines.append(f"Not measured: {notebooks['error']}.")
    else:
        lines += ["| notebook | time |", "| --- | --- |"]
        for name, value in notebooks.items():
            lines.append(f"| {name} | {fmt_time(value) if isinstance(value, float) else value} |")
    lines.append("")

    lines += ["## multi_head forward", ""]
    if mh is None:
        lines.append("Skipped.")
    else:
        peak = mh["peak_gflops"]
        lines.append(
            f"GFLOP/s = (8·n·d² + 4·n²·d) / median time (the same count with the causal mask). dgemm peak: "
            f"**{peak:.1f} GFLOP/s** (numpy float64 2048×2048 matmul, best of {mh['peak_runs']}). "
            f"\"ours\" runs with the inherited BLAS environment, \"ours, clean env\" with the numpy conditions.")
        lines += ["",
                  "| n | d_model | heads | mask | ours | ours GFLOP/s | ours, clean env GFLOP/s | numpy | numpy GFLOP/s | ours / numpy | clean / numpy | ours % peak | clean % peak |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        checks = []
        for n, d, h in SIZES:
            for mask in ("none", "causal"):
                key = (n, d, h, mask)
                ours, clean, numpy_ = mh["ours"][key], mh["ours_clean"][key], mh["numpy"][key]
                g = lambda r: flops(n, d) / r["median_s"] / 1e9
                ratio, ratio_clean = numpy_["median_s"] / ours["median_s"], numpy_["median_s"] / clean["median_s"]
                checks.append((f"≥ 1.0× numpy at {(n, d, h)} {mask}", ratio >= 1.0, ratio_clean >= 1.0))
                if (n, d, h) == (2048, 512, 8):
                    checks.append((f"≥ 50% of dgemm peak at {(n, d, h)} {mask}", g(ours) >= 0.5 * peak, g(clean) >= 0.5 * peak))
                lines.append(
                    f"| {n} | {d} | {h} | {mask} | {fmt_time(ours['median_s'])} | {g(ours):.1f} | {g(clean):.1f} | "
                    f"{fmt_time(numpy_['median_s'])} | {g(numpy_):.1f} | {ratio:.2f}× | {ratio_clean:.2f}× | "
                    f"{100 * g(ours) / peak:.0f}% | {100 * g(clean) / peak:.0f}% |")
        lines += ["", "| target | ours | ours, clean env |", "| --- | --- | --- |"]
        for label, a, b in checks:
            lines.append(f"| {label} | {verdict(a)} | {verdict(b)} |")
        rss = [(key, v["rss_kib"]) for key, v in mh["ours"].items() if v.get("rss_kib") and key[3] == "causal"]
        if rss:
            lines += ["", "attention-bench resident memory after each size: "
                      + ", ".join(f"{k[:3]}: {v / 1024:.0f} MiB" for k, v in rss) + "."]
    lines.append("")
    if interp:
        lines += interpreter_report(interp)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numpy-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--python-interp-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--interp-programs", default="", help=argparse.SUPPRESS)
    parser.add_argument("--interp-dir", default=str(INTERP_DIR), help=argparse.SUPPRESS)
    # Best of 15 in each of 5 rounds: on this shared 2-core VM one process runs a program up to
    # 1.5x slower than the next, on either side (seen with address-space randomisation off
    # too), and best of 5 in 3 rounds let a 1.4x lead read as 0.9x in one run.
    parser.add_argument("--interp-runs", type=int, default=15, help="timed runs of each interpreter program per round (default 15)")
    parser.add_argument("--interp-rounds", type=int, default=5, help="alternating rounds of the interpreter table (default 5)")
    parser.add_argument("--interpreter-only", action="store_true",
                        help="only the interpreter table (make bench-interp); replaces only its section of --out")
    parser.add_argument("--sizes", default=";".join(f"{n},{d},{h}" for n, d, h in SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--peak-runs", type=int, default=5, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of numpy and AttentionCore (default 3)")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds of timed calls per size and mask per round")
    parser.add_argument("--min-runs", type=int, default=5, help="timed calls per size and mask per round, at least")
    parser.add_argument("--starts", type=int, default=10, help="kernel cold starts to time")
    parser.add_argument("--cells", type=int, default=500, help="trivial cells to time")
    parser.add_argument("--quick", action="store_true", help="1 round, 0.2 s per size, 3 starts, 100 cells")
    parser.add_argument("--skip-kernel", action="store_true")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "latest.md"))
    parser.add_argument("--bench-bin", default=str(ROOT / ".build" / "release" / "attention-bench"))
    args = parser.parse_args()
    if args.numpy_worker:
        numpy_worker(args)
        return
    if args.python_interp_worker:
        python_interp_worker(args)
        return
    if args.quick:
        args.rounds, args.min_time, args.starts, args.cells = 1, 0.2, 3, 100

    bench_bin = Path(args.bench_bin)
    if not bench_bin.exists():
        print("bench: building attention-bench (swift build -c release --static-swift-stdlib)", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "attention-bench"], cwd=ROOT, check=True)

    if args.interpreter_only:
        interp = measure_interpreter(args, bench_bin)
        section = interpreter_report(interp)
        print("\n".join(section))
        out = Path(args.out)
        out.write_text(replace_interpreter_section(out.read_text() if out.exists() else "", section))
        print(f"bench: wrote the interpreter section of {os.path.relpath(args.out, Path.cwd())}", file=sys.stderr)
        return

    info = machine()
    kernels = None if args.skip_kernel else measure_kernels(args)
    notebooks = None if args.skip_notebooks else measure_notebooks()
    mh = measure_multi_head(args, bench_bin)
    interp = measure_interpreter(args, bench_bin)
    try:
        generation = run_json([str(bench_bin), "--generate"], dict(os.environ), 900)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        generation = {"error": str(error)}
    info["load_end"] = load_average()
    text = report(info, mh, kernels, notebooks, interp) + "\n" + generation_report(generation)
    print(text)
    Path(args.out).write_text(text)
    print(f"bench: wrote {os.path.relpath(args.out, Path.cwd())}", file=sys.stderr)


if __name__ == "__main__":
    main()
