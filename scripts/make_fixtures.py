#!/usr/bin/env python3
"""Regenerate Tests/AttentionCoreTests/Fixtures/attention.json: float64 numpy references
for the AttentionCore library, following the shared LANGUAGE.md contract.

Run from the repository root, in the virtual environment:

    .venv/bin/python scripts/make_fixtures.py          # write the fixture
    .venv/bin/python scripts/make_fixtures.py --check  # fail if the committed file is stale

Deterministic: every input comes from numpy's ``default_rng(seed)`` with a fixed seed per
case, and the inputs are stored in the fixture, so the Swift side never needs numpy's RNG.

JSON format
-----------
::

    {
      "generator": "scripts/make_fixtures.py, numpy 2.x.y, python 3.x.y",
      "format": 1,
      "tolerance": 1e-12,              # |a - b| <= tolerance * max(1, |b|)
      "probes": [{"value": 0.1, "bits": "3fb999999999999a"}, ...],
      "cases": [
        {
          "name": "multi_head/n3_d8_h2_causal",
          "function": "multi_head",
          "inputs": {"X": MATRIX, "Wq": MATRIX, ..., "mask": MATRIX},
          "params": {"heads": 2, "masked": true},
          "expected": MATRIX            # or [MATRIX, ...] for multi_head_weights
        }, ...
      ]
    }

    MATRIX = {"shape": [rows, cols], "data": [[row 0 ...], [row 1 ...], ...]}

Numbers are written with Python's ``repr`` (shortest round-trip), so they read back
bit-exactly. Non-finite entries are the strings ``"-inf"``, ``"inf"``, ``"nan"`` (masks
hold ``"-inf"``). ``probes`` pairs a few awkward doubles with their IEEE-754 bit
patterns so the reader can check that its JSON parser is exact.

Functions and their inputs/params (the Swift names in brackets):

========================  ====================================  ==========================
function                  inputs                                params
========================  ====================================  ==========================
softmax [softmax]         X                                     axis, temperature
log_softmax [logSoftmax]  X                                     axis, temperature
raw_attention_weights     X                                     -
raw_attention             X                                     -
attention_weights         Q, K, mask?                           scaled, masked
attention                 Q, K, V, mask?                        masked
single_head               X, Wq, Wk, Wv, mask?                  masked
multi_head                X, Wq, Wk, Wv, Wo, mask?              heads, masked
multi_head_weights        X, Wq, Wk, mask?                      heads, masked (expected: list)
causal_mask               -                                     n
sinusoidal                -                                     n, d
rope                      X                                     base
layer_norm                X, gamma?, beta?                      eps
gelu / gelu_tanh          X                                     -
ffn                       X, W1, b1, W2, b2                     -
transformer_block         X, Wq Wk Wv Wo bq bk bv bo W1 b1 W2   heads, norm ("pre"/"post"),
                          b2 ln1_gamma ln1_beta ln2_gamma       masked
                          ln2_beta, mask?
tril / triu               X                                     k
var / std                 X                                     axis (absent: all elements)
cumsum                    X                                     axis
reshape                   X                                     rows, cols
clip                      X                                     lo, hi
round                     X                                     digits
arange                    -                                     a, b, step
linspace                  -                                     a, b, n
mod [elementwise .modulo] X, Y (broadcast as in +)               -
========================  ====================================  ==========================

``mask`` is present exactly when the function should be called with a mask (``masked``
is true for a causal mask; some cases use other additive masks, e.g. a fully masked
row). Absent optional inputs mean ``nil``.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AttentionCoreTests" / "Fixtures" / "attention.json"
MAX_BYTES = 2_000_000
NEG_INF = -np.inf

# --------------------------------------------------------------------------------------
# References (float64, straight from LANGUAGE.md)
# --------------------------------------------------------------------------------------


def softmax(x: np.ndarray, axis: int = 1, temperature: float = 1.0) -> np.ndarray:
    """Numerically stable softmax along ``axis``; an all -inf slice gives zeros."""
    z = x / temperature
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)  # all -inf slice: exp(-inf) = 0 everywhere
    e = np.exp(z - m)
    s = np.sum(e, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(s > 0, e / np.where(s > 0, s, 1.0), 0.0)
    return out


def log_softmax(x: np.ndarray, axis: int = 1, temperature: float = 1.0) -> np.ndarray:
    """z - max - log(sum(exp(z - max))). Only used on slices with a finite entry."""
    z = x / temperature
    m = np.max(z, axis=axis, keepdims=True)
    shifted = z - m
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def raw_attention_weights(x: np.ndarray) -> np.ndarray:
    return softmax(x @ x.T)


def raw_attention(x: np.ndarray) -> np.ndarray:
    return raw_attention_weights(x) @ x


def attention_weights(q, k, mask=None, scaled=True) -> np.ndarray:
    s = q @ k.T
    if scaled:
        s = s / math.sqrt(q.shape[1])
    if mask is not None:
        s = s + mask
    return softmax(s)


def attention(q, k, v, mask=None) -> np.ndarray:
    return attention_weights(q, k, mask, True) @ v


def single_head(x, wq, wk, wv, mask=None) -> np.ndarray:
    return attention(x @ wq, x @ wk, x @ wv, mask)


def _head_blocks(m: np.ndarray, heads: int) -> list[np.ndarray]:
    d_model = m.shape[1]
    assert d_model % heads == 0
    w = d_model // heads
    return [m[:, i * w:(i + 1) * w] for i in range(heads)]


def _mha(q, k, v, heads, mask):
    outs = [attention(qh, kh, vh, mask)
            for qh, kh, vh in zip(_head_blocks(q, heads), _head_blocks(k, heads), _head_blocks(v, heads))]
    return np.concatenate(outs, axis=1)


def multi_head(x, wq, wk, wv, wo, heads, mask=None) -> np.ndarray:
    return _mha(x @ wq, x @ wk, x @ wv, heads, mask) @ wo


def multi_head_weights(x, wq, wk, heads, mask=None) -> list[np.ndarray]:
    return [attention_weights(qh, kh, mask, True)
            for qh, kh in zip(_head_blocks(x @ wq, heads), _head_blocks(x @ wk, heads))]


def causal_mask(n: int) -> np.ndarray:
    m = np.zeros((n, n))
    m[np.triu_indices(n, k=1)] = NEG_INF
    return m


def sinusoidal(n: int, d: int) -> np.ndarray:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle)."""
    pe = np.zeros((n, d))
    for pos in range(n):
        for j in range(d):
            two_i = j - (j % 2)
            angle = pos / (10000.0 ** (two_i / d))
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def rope(x: np.ndarray, base: float = 10000.0) -> np.ndarray:
    """Rotate each pair (2i, 2i+1) of row ``pos`` by pos * base^(-2i/d)."""
    n, d = x.shape
    assert d % 2 == 0
    out = x.copy()
    for pos in range(n):
        for i in range(d // 2):
            theta = pos * base ** (-(2 * i) / d)
            c, s = math.cos(theta), math.sin(theta)
            a, b = x[pos, 2 * i], x[pos, 2 * i + 1]
            out[pos, 2 * i] = a * c - b * s
            out[pos, 2 * i + 1] = a * s + b * c
    return out


def layer_norm(x, gamma=None, beta=None, eps=1e-5) -> np.ndarray:
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=1, keepdims=True)  # biased
    y = (x - mu) / np.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


_erf = np.vectorize(math.erf, otypes=[float])


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def ffn(x, w1, b1, w2, b2) -> np.ndarray:
    return gelu(x @ w1 + b1) @ w2 + b2


def _block_mha(x, p, mask):
    q = x @ p["Wq"] + p["bq"]
    k = x @ p["Wk"] + p["bk"]
    v = x @ p["Wv"] + p["bv"]
    return _mha(q, k, v, p["heads"], mask) @ p["Wo"] + p["bo"]


def transformer_block(x, p, mask=None, norm="pre") -> np.ndarray:
    if norm == "pre":
        x = x + _block_mha(layer_norm(x, p["ln1_gamma"], p["ln1_beta"]), p, mask)
        x = x + ffn(layer_norm(x, p["ln2_gamma"], p["ln2_beta"]), p["W1"], p["b1"], p["W2"], p["b2"])
        return x
    if norm == "post":
        x = layer_norm(x + _block_mha(x, p, mask), p["ln1_gamma"], p["ln1_beta"])
        x = layer_norm(x + ffn(x, p["W1"], p["b1"], p["W2"], p["b2"]), p["ln2_gamma"], p["ln2_beta"])
        return x
    raise ValueError(norm)


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------


def _num(v: float):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(m: np.ndarray) -> dict:
    m = np.asarray(m, dtype=np.float64)
    assert m.ndim == 2, m.shape
    return {"shape": [int(m.shape[0]), int(m.shape[1])],
            "data": [[_num(v) for v in row] for row in m]}


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

_seed = [1000]


def rng() -> np.random.Generator:
    """A fresh generator per case, seeded in sequence, so adding a case at the end
    leaves earlier cases unchanged."""
    _seed[0] += 1
    return np.random.default_rng(_seed[0])


def weight(g, r, c):
    return g.standard_normal((r, c)) / math.sqrt(r)


def padding_mask(n: int, masked_row: int) -> np.ndarray:
    """An additive mask with one fully masked query row and one masked key column."""
    m = np.zeros((n, n))
    m[:, n - 1] = NEG_INF
    m[masked_row, :] = NEG_INF
    return m


def build_cases() -> list[dict]:
    cases: list[dict] = []

    def add(name, function, inputs, params, expected):
        cases.append({
            "name": f"{function}/{name}",
            "function": function,
            "inputs": {k: enc(v) for k, v in inputs.items() if v is not None},
            "params": params,
            "expected": [enc(e) for e in expected] if isinstance(expected, list) else enc(expected),
        })

    # softmax / log_softmax -----------------------------------------------------------
    for (r, c) in [(1, 1), (1, 5), (3, 4), (8, 8)]:
        for axis in (0, 1):
            for t in (1.0, 0.5, 3.0):
                g = rng()
                x = g.standard_normal((r, c)) * 3
                p = {"axis": axis, "temperature": t}
                add(f"{r}x{c}_axis{axis}_t{t}", "softmax", {"X": x}, p, softmax(x, axis, t))
                add(f"{r}x{c}_axis{axis}_t{t}", "log_softmax", {"X": x}, p, log_softmax(x, axis, t))
    g = rng()
    big = g.standard_normal((3, 5)) * 400  # exp would overflow without the max shift
    add("3x5_large", "softmax", {"X": big}, {"axis": 1, "temperature": 1.0}, softmax(big))
    add("3x5_large", "log_softmax", {"X": big}, {"axis": 1, "temperature": 1.0}, log_softmax(big))
    x = rng().standard_normal((4, 4)) + causal_mask(4)
    add("4x4_causal_inf", "softmax", {"X": x}, {"axis": 1, "temperature": 1.0}, softmax(x))
    add("4x4_causal_inf", "log_softmax", {"X": x}, {"axis": 1, "temperature": 1.0}, log_softmax(x))
    x = rng().standard_normal((3, 4))
    x[1, :] = NEG_INF
    add("3x4_all_neginf_row", "softmax", {"X": x}, {"axis": 1, "temperature": 1.0}, softmax(x))
    add("3x4_all_neginf_col_axis0", "softmax", {"X": x.T.copy()}, {"axis": 0, "temperature": 1.0},
        softmax(x.T, axis=0))

    # raw attention --------------------------------------------------------------------
    for (n, d) in [(1, 1), (1, 4), (3, 4), (3, 8), (8, 8), (8, 16)]:
        g = rng()
        x = g.standard_normal((n, d)) / math.sqrt(d)
        add(f"n{n}_d{d}", "raw_attention_weights", {"X": x}, {}, raw_attention_weights(x))
        add(f"n{n}_d{d}", "raw_attention", {"X": x}, {}, raw_attention(x))

    # attention_weights / attention ------------------------------------------------------
    for (n, m, dk, dv) in [(1, 1, 1, 1), (1, 3, 4, 2), (3, 3, 4, 4), (3, 5, 8, 3), (8, 8, 8, 8), (8, 8, 16, 16)]:
        for masked in (False, True):
            if masked and n != m:
                continue
            g = rng()
            q = g.standard_normal((n, dk))
            k = g.standard_normal((m, dk))
            v = g.standard_normal((m, dv))
            mask = causal_mask(n) if masked else None
            tag = f"n{n}_m{m}_dk{dk}_dv{dv}" + ("_causal" if masked else "")
            for scaled in (True, False):
                add(tag + ("" if scaled else "_unscaled"), "attention_weights",
                    {"Q": q, "K": k, "mask": mask}, {"scaled": scaled, "masked": masked},
                    attention_weights(q, k, mask, scaled))
            add(tag, "attention", {"Q": q, "K": k, "V": v, "mask": mask}, {"masked": masked},
                attention(q, k, v, mask))
    # a fully masked query row gives a zero row, never NaN
    g = rng()
    q, k, v = g.standard_normal((4, 4)), g.standard_normal((4, 4)), g.standard_normal((4, 3))
    pm = padding_mask(4, 2)
    add("n4_padding_fully_masked_row", "attention_weights", {"Q": q, "K": k, "mask": pm},
        {"scaled": True, "masked": False}, attention_weights(q, k, pm))
    add("n4_padding_fully_masked_row", "attention", {"Q": q, "K": k, "V": v, "mask": pm},
        {"masked": False}, attention(q, k, v, pm))

    # single head ------------------------------------------------------------------------
    for (n, d, dh) in [(1, 1, 1), (1, 8, 4), (3, 8, 8), (3, 8, 4), (8, 16, 16), (8, 16, 8)]:
        for masked in (False, True):
            g = rng()
            x = g.standard_normal((n, d))
            wq, wk, wv = weight(g, d, dh), weight(g, d, dh), weight(g, d, dh)
            mask = causal_mask(n) if masked else None
            add(f"n{n}_d{d}_dh{dh}" + ("_causal" if masked else ""), "single_head",
                {"X": x, "Wq": wq, "Wk": wk, "Wv": wv, "mask": mask}, {"masked": masked},
                single_head(x, wq, wk, wv, mask))

    # multi head ---------------------------------------------------------------------------
    for n in (1, 3, 8):
        for d in (8, 16):
            for heads in (1, 2, 4, 8):
                if d % heads:
                    continue
                for masked in (False, True):
                    if n == 1 and masked:
                        continue  # a 1x1 causal mask is all zeros: same as unmasked
                    g = rng()
                    x = g.standard_normal((n, d))
                    wq, wk, wv, wo = (weight(g, d, d) for _ in range(4))
                    mask = causal_mask(n) if masked else None
                    tag = f"n{n}_d{d}_h{heads}" + ("_causal" if masked else "")
                    p = {"heads": heads, "masked": masked}
                    add(tag, "multi_head", {"X": x, "Wq": wq, "Wk": wk, "Wv": wv, "Wo": wo, "mask": mask},
                        p, multi_head(x, wq, wk, wv, wo, heads, mask))
                    if d == 8 or n == 8:  # keeps the file under 2 MB
                        add(tag, "multi_head_weights", {"X": x, "Wq": wq, "Wk": wk, "mask": mask},
                            p, multi_head_weights(x, wq, wk, heads, mask))
    g = rng()
    x = g.standard_normal((1, 1))
    w = [weight(g, 1, 1) for _ in range(4)]
    add("n1_d1_h1", "multi_head", {"X": x, "Wq": w[0], "Wk": w[1], "Wv": w[2], "Wo": w[3]},
        {"heads": 1, "masked": False}, multi_head(x, *w, 1))

    # masks and positions --------------------------------------------------------------
    for n in (1, 2, 3, 8):
        add(f"n{n}", "causal_mask", {}, {"n": n}, causal_mask(n))
    for (n, d) in [(1, 1), (1, 2), (3, 4), (8, 8), (8, 16), (50, 16), (4, 5)]:
        add(f"n{n}_d{d}", "sinusoidal", {}, {"n": n, "d": d}, sinusoidal(n, d))
    for (n, d) in [(1, 2), (3, 4), (8, 8), (8, 16)]:
        for base in (10000.0, 100.0):
            x = rng().standard_normal((n, d))
            add(f"n{n}_d{d}_base{int(base)}", "rope", {"X": x}, {"base": base}, rope(x, base))

    # layer norm, gelu, ffn ------------------------------------------------------------
    for (n, d) in [(1, 1), (1, 8), (3, 8), (8, 16)]:
        g = rng()
        x = g.standard_normal((n, d)) * 2 + 0.5
        gamma = 1 + 0.1 * g.standard_normal((1, d))
        beta = 0.1 * g.standard_normal((1, d))
        add(f"n{n}_d{d}_plain", "layer_norm", {"X": x}, {"eps": 1e-5}, layer_norm(x))
        add(f"n{n}_d{d}_affine", "layer_norm", {"X": x, "gamma": gamma, "beta": beta}, {"eps": 1e-5},
            layer_norm(x, gamma, beta, 1e-5))
        add(f"n{n}_d{d}_eps0.1", "layer_norm", {"X": x, "gamma": gamma, "beta": beta}, {"eps": 0.1},
            layer_norm(x, gamma, beta, 0.1))
    x = np.array([[0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 8.0, -8.0, 1e-8, -40.0, 40.0]])
    add("special", "gelu", {"X": x}, {}, gelu(x))
    add("special", "gelu_tanh", {"X": x}, {}, gelu_tanh(x))
    for (r, c) in [(1, 1), (3, 8), (8, 16)]:
        x = rng().standard_normal((r, c)) * 2
        add(f"{r}x{c}", "gelu", {"X": x}, {}, gelu(x))
        add(f"{r}x{c}", "gelu_tanh", {"X": x}, {}, gelu_tanh(x))
    for (n, d) in [(1, 1), (3, 8), (8, 16)]:
        g = rng()
        x = g.standard_normal((n, d))
        w1, b1 = weight(g, d, 4 * d), 0.1 * g.standard_normal((1, 4 * d))
        w2, b2 = weight(g, 4 * d, d), 0.1 * g.standard_normal((1, d))
        add(f"n{n}_d{d}", "ffn", {"X": x, "W1": w1, "b1": b1, "W2": w2, "b2": b2}, {},
            ffn(x, w1, b1, w2, b2))

    # transformer block ------------------------------------------------------------------
    for (n, d, heads) in [(1, 8, 1), (3, 8, 2), (8, 8, 4), (8, 16, 8), (3, 16, 1)]:
        for norm in ("pre", "post"):
            for masked in (False, True):
                if n == 1 and masked:
                    continue
                if d == 16 and heads == 1 and masked != (norm == "pre"):
                    continue  # size: only pre+causal and post+unmasked for this shape
                g = rng()
                x = g.standard_normal((n, d))
                p = {
                    "Wq": weight(g, d, d), "Wk": weight(g, d, d), "Wv": weight(g, d, d), "Wo": weight(g, d, d),
                    "bq": 0.1 * g.standard_normal((1, d)), "bk": 0.1 * g.standard_normal((1, d)),
                    "bv": 0.1 * g.standard_normal((1, d)), "bo": 0.1 * g.standard_normal((1, d)),
                    "W1": weight(g, d, 4 * d), "b1": 0.1 * g.standard_normal((1, 4 * d)),
                    "W2": weight(g, 4 * d, d), "b2": 0.1 * g.standard_normal((1, d)),
                    "ln1_gamma": 1 + 0.1 * g.standard_normal((1, d)), "ln1_beta": 0.1 * g.standard_normal((1, d)),
                    "ln2_gamma": 1 + 0.1 * g.standard_normal((1, d)), "ln2_beta": 0.1 * g.standard_normal((1, d)),
                }
                mask = causal_mask(n) if masked else None
                inputs = {"X": x, **p, "mask": mask}
                params = {"heads": heads, "norm": norm, "masked": masked}
                add(f"n{n}_d{d}_h{heads}_{norm}" + ("_causal" if masked else ""), "transformer_block",
                    inputs, params, transformer_block(x, {**p, "heads": heads}, mask, norm))

    # the NumPy vocabulary (np.tril, np.reshape, np.arange, ...), computed by NumPy itself --
    for (r, c) in [(1, 1), (3, 3), (4, 6), (5, 2)]:
        x = rng().standard_normal((r, c))
        for k in (-2, -1, 0, 1, 3):
            add(f"{r}x{c}_k{k}", "tril", {"X": x}, {"k": k}, np.tril(x, k))
            add(f"{r}x{c}_k{k}", "triu", {"X": x}, {"k": k}, np.triu(x, k))
        for axis in (0, 1):
            add(f"{r}x{c}_axis{axis}", "var", {"X": x}, {"axis": axis}, np.var(x, axis=axis, keepdims=True))
            add(f"{r}x{c}_axis{axis}", "std", {"X": x}, {"axis": axis}, np.std(x, axis=axis, keepdims=True))
            add(f"{r}x{c}_axis{axis}", "cumsum", {"X": x}, {"axis": axis}, np.cumsum(x, axis=axis))
        add(f"{r}x{c}_all", "var", {"X": x}, {}, np.array([[np.var(x)]]))
        add(f"{r}x{c}_all", "std", {"X": x}, {}, np.array([[np.std(x)]]))
        add(f"{r}x{c}", "reshape", {"X": x}, {"rows": c, "cols": r}, np.reshape(x, (c, r)))
        add(f"{r}x{c}", "clip", {"X": x}, {"lo": -0.5, "hi": 0.75}, np.clip(x, -0.5, 0.75))
        for digits in (-1, 0, 2, 5):
            add(f"{r}x{c}_d{digits}", "round", {"X": x * 100}, {"digits": digits}, np.round(x * 100, digits))
    halves = np.array([[0.5, 1.5, 2.5, -0.5, -1.5, 0.125, 0.375, 2.675, 1e15 + 0.5]])
    for digits in (0, 2):
        add(f"halves_d{digits}", "round", {"X": halves}, {"digits": digits}, np.round(halves, digits))
    for (a, b, step) in [(0, 5, 1), (0, 1, 0.1), (2, -3, -0.7), (0.1, 0.9, 0.2), (-1, 1, 1 / 3), (5, 1, 1)]:
        add(f"{a}_{b}_{step:.6g}", "arange", {}, {"a": a, "b": b, "step": step},
            np.arange(a, b, step, dtype=np.float64).reshape(1, -1))
    for (a, b, n) in [(0, 1, 5), (0, 1, 11), (-3.5, 7.25, 9), (2, 2, 4), (1, 0, 7), (0, 1, 1)]:
        add(f"{a}_{b}_{n}", "linspace", {}, {"a": a, "b": b, "n": n}, np.linspace(a, b, n).reshape(1, -1))

    # floored modulo (Python's %), np.mod on float64, negatives on both sides and every
    # broadcast the language allows; x mod 0 (nan) is in the golden tests, not here
    g = rng()
    x = np.round(g.standard_normal((4, 6)) * 7, 3)
    x[0, :3] = [-7.0, 7.0, -6.0]
    divisors = {
        "scalar3": np.array([[3.0]]), "scalar_neg2.5": np.array([[-2.5]]),
        "row": np.array([[3.0, -3.0, 0.75, -0.75, 1e-3, 1e9]]),
        "col": np.array([[2.0], [-2.0], [7.5], [-0.1]]),
        "same": np.where(np.abs(y := np.round(g.standard_normal((4, 6)) * 4, 2)) < 0.05, 1.0, y),
    }
    for key, y in divisors.items():
        add(key, "mod", {"X": x, "Y": y}, {}, np.mod(x, y))

    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    for c in cases:  # the only non-finite outputs allowed are -inf in masks/log_softmax
        exp = c["expected"] if isinstance(c["expected"], list) else [c["expected"]]
        for e in exp:
            for row in e["data"]:
                assert "nan" not in row and "inf" not in row, c["name"]
    return cases


def probes() -> list[dict]:
    vals = [0.1, 1 / 3, 2 / 3, 1e-300, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
            9007199254740993.0, 0.30000000000000004, -123456.78901234567, 1e22, 1e23]
    return [{"value": v, "bits": struct.pack(">d", v).hex()} for v in vals]


def render() -> str:
    doc = {
        "generator": f"scripts/make_fixtures.py, numpy {np.__version__}, python {platform.python_version()}",
        "format": 1,
        "tolerance": 1e-12,
        "probes": probes(),
        "cases": build_cases(),
    }
    # allow_nan=False: non-finite numbers must already be strings
    return json.dumps(doc, allow_nan=False, separators=(",", ":")) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the committed fixture differs")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    text = render()
    if len(text.encode()) > MAX_BYTES:
        print(f"fixture is {len(text.encode())} bytes, over {MAX_BYTES}", file=sys.stderr)
        return 1
    if args.check:
        # the generator line carries versions; compare the cases only
        old = json.loads(args.output.read_text()) if args.output.exists() else {}
        new = json.loads(text)
        if old.get("cases") != new["cases"] or old.get("probes") != new["probes"]:
            print(f"{args.output} is stale: run scripts/make_fixtures.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
