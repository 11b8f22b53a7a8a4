#!/usr/bin/env python3
"""Regenerates the gradient fixtures from JAX in float64.

    .venv/bin/python -m pip install -r scripts/fixtures-requirements.txt
    .venv/bin/python scripts/make_gradient_fixtures.py

Writes
  Tests/AttentionLanguageTests/Fixtures/gradients.json: one case per differentiable builtin:
      an attention-language program whose last line is grad(f, P) (inputs written as exact
      literals), and JAX's gradient of the same function.
  Tests/AttentionCoreTests/Fixtures/gradients_model.json: a small GPT (weights, token ids),
      JAX's loss and the gradient of every weight, and transformer blocks (pre and post norm,
      with and without the FFN) with their gradients.

Inputs come from numpy's seeded generator, so the files are reproducible. JAX is only a
fixture dependency (scripts/fixtures-requirements.txt), never the kernel's.
"""
import json
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

ROOT = pathlib.Path(__file__).resolve().parent.parent
rng = np.random.default_rng(20261130)


def randn(r, c, scale=1.0):
    return rng.standard_normal((r, c)) * scale


def lit(a):
    """An exact attention-language literal of a 2-D array (repr is round-trip exact)."""
    a = np.asarray(a, dtype=np.float64)
    rows = []
    for row in a:
        rows.append(", ".join("-inf" if x == -np.inf else repr(float(x)) for x in row))
    return "[" + "; ".join(rows) + "]"


def as_json(x):
    if isinstance(x, (list, tuple)):
        return [as_json(v) for v in x]
    if isinstance(x, dict):
        return {k: as_json(v) for k, v in x.items()}
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


cases = []


def case(name, builtins, setup, body, f, p):
    """`f` is the JAX twin of the language function `func f(P) = body`; `p` its argument."""
    grad = jax.grad(lambda q: jnp.sum(f(q)))(p)
    program = setup + f"\nfunc f(P) = {body}\ngrad(f, {lit(p) if not isinstance(p, list) else '[' + ', '.join(lit(x) for x in p) + ']'})\n"
    cases.append({"name": name, "builtins": builtins, "program": program, "expected": as_json(grad)})


def softmax(x, axis=-1, t=1.0):
    return jax.nn.softmax(x / t, axis=axis)


def layer_norm(x, g=None, b=None, eps=1e-5):
    mu = jnp.mean(x, axis=1, keepdims=True)
    var = jnp.mean((x - mu) ** 2, axis=1, keepdims=True)
    y = (x - mu) / jnp.sqrt(var + eps)
    if g is not None:
        y = y * g
    if b is not None:
        y = y + b
    return y


def attention_weights(q, k, mask=None, scaled=True):
    s = q @ k.T
    if scaled:
        s = s / math.sqrt(q.shape[1])
    if mask is not None:
        s = s + mask
    return softmax(s, axis=1)


def causal(n):
    return np.triu(np.full((n, n), -np.inf), k=1)


def multi_head_concat(q, k, v, heads, mask=None):
    dk, dv = q.shape[1] // heads, v.shape[1] // heads
    outs = [attention_weights(q[:, h * dk:(h + 1) * dk], k[:, h * dk:(h + 1) * dk], mask) @ v[:, h * dv:(h + 1) * dv]
            for h in range(heads)]
    return jnp.concatenate(outs, axis=1)


gelu = lambda x: jax.nn.gelu(x, approximate=False)
gelu_tanh = lambda x: jax.nn.gelu(x, approximate=True)

# --- arithmetic, products, indexing ------------------------------------------------------
P = randn(3, 4)
B = randn(1, 4); C = randn(3, 1); D = randn(3, 4) + 3.0
setup = f"let B = {lit(B)}\nlet C = {lit(C)}\nlet D = {lit(D)}"
case("broadcast arithmetic", ["+", "-", "*", "/"], setup, "sum((P + B) * C / D - 2 * P + P / 3)",
     lambda p: (p + B) * C / D - 2 * p + p / 3, P)
case("unary minus and power", ["-", "**"], setup, "sum(-(P ** 3) + 2 ** P + D ** (P / 4))",
     lambda p: -(p ** 3) + 2.0 ** p + D ** (p / 4), P)
X = randn(5, 4)
case("floored modulo", ["%"], setup, "sum((P * 3) % 1.7 * D) + sum(D % (P + 5))",
     lambda p: jnp.sum(jnp.mod(p * 3, 1.7) * D) + jnp.sum(jnp.mod(D, p + 5)), P)
W5 = randn(3, 5)
cases_setup = f"let X = {lit(X)}\nlet W = {lit(W5)}"
case("matrix product and transpose", ["@", ".T", "transpose"], cases_setup, "sum((P @ X.T) * W) + sum(transpose(P) @ P)",
     lambda p: jnp.sum((p @ X.T) * W5) + jnp.sum(p.T @ p), P)
E = randn(6, 4)
case("indexing, slicing and lookup", ["A[i]", "A[:, a:b]", "A[i, j]", "A[ids]"], "",
     "sum(P[1] * 2) + sum(P[:, 1:3] ** 2) + P[0, 3] * 3 + sum(P[[0, 2, 0, 5]] * P[[1, 1, 4, 3]]) + sum(P[-1, :])",
     lambda p: jnp.sum(p[1] * 2) + jnp.sum(p[:, 1:3] ** 2) + p[0, 3] * 3
     + jnp.sum(p[jnp.array([0, 2, 0, 5])] * p[jnp.array([1, 1, 4, 3])]) + jnp.sum(p[-1, :]), E)
case("hcat and vcat", ["hcat", "vcat"], setup, "sum(hcat(P, P * 2, C) * hcat(D, D, C)) + sum(vcat(P, B * P[0]) ** 2)",
     lambda p: jnp.sum(jnp.hstack([p, p * 2, C]) * jnp.hstack([D, D, C])) + jnp.sum(jnp.vstack([p, B * p[0:1]]) ** 2), P)

# --- reductions ----------------------------------------------------------------------------
case("sum and mean with axis", ["sum", "mean"], setup,
     "sum(sum(P, axis: 0) * B) + sum(mean(P, axis: 1) * C) + mean(P) * 5 + sum(P, axis: -1)[0, 0] * 7",
     lambda p: jnp.sum(jnp.sum(p, axis=0, keepdims=True) * B) + jnp.sum(jnp.mean(p, axis=1, keepdims=True) * C)
     + jnp.mean(p) * 5 + jnp.sum(p, axis=1)[0] * 7, P)
case("max and min", ["max", "min", "maximum", "minimum"], setup,
     "sum(max(P, axis: 0) * B) + sum(min(P, axis: 1) * C) + max(P) + sum(maximum(P, D - 3)) + sum(minimum(P, 0.1) * D)",
     lambda p: jnp.sum(jnp.max(p, axis=0, keepdims=True) * B) + jnp.sum(jnp.min(p, axis=1, keepdims=True) * C) + jnp.max(p)
     + jnp.sum(jnp.maximum(p, D - 3)) + jnp.sum(jnp.minimum(p, 0.1) * D), P)
case("var, std and norm", ["var", "std", "norm"], setup,
     "var(P) + sum(std(P, axis: 0) * B) + sum(var(P, axis: 1) * C) + norm(P)",
     lambda p: jnp.var(p) + jnp.sum(jnp.std(p, axis=0, keepdims=True) * B) + jnp.sum(jnp.var(p, axis=1, keepdims=True) * C)
     + jnp.sqrt(jnp.sum(p * p)), P)

# --- element-wise functions -------------------------------------------------------------------
case("exp, log, sqrt, abs, tanh", ["exp", "log", "sqrt", "abs", "tanh"], setup,
     "sum(exp(P) * D) + sum(log(P * P + 1)) + sum(sqrt(P * P + 2)) + sum(abs(P) * C) + sum(tanh(P) * B)",
     lambda p: jnp.sum(jnp.exp(p) * D) + jnp.sum(jnp.log(p * p + 1)) + jnp.sum(jnp.sqrt(p * p + 2)) + jnp.sum(jnp.abs(p) * C)
     + jnp.sum(jnp.tanh(p) * B), P)
case("relu, gelu, gelu_tanh", ["relu", "gelu", "gelu_tanh"], setup,
     "sum(relu(P) * D) + sum(gelu(P) * C) + sum(gelu_tanh(P * 2) * B)",
     lambda p: jnp.sum(jax.nn.relu(p) * D) + jnp.sum(gelu(p) * C) + jnp.sum(gelu_tanh(p * 2) * B), P)
case("where, clip, tril, triu, reshape, cumsum", ["where", "clip", "tril", "triu", "reshape", "cumsum", "stack"], setup,
     "sum(where(P > 0, P * 2, P ** 2) * D) + sum(clip(P, -0.5, 0.7) * D) + sum(tril(P, k: 1) * D) + sum(triu(P) ** 2)"
     " + sum(reshape(P, 2, 6) * reshape(D, 2, 6)) + sum(cumsum(P, axis: 1) * D) + sum(cumsum(P, axis: 0) * D)"
     " + sum(stack([P[0], P[2]]) * D[0:2])",
     lambda p: jnp.sum(jnp.where(p > 0, p * 2, p ** 2) * D) + jnp.sum(jnp.clip(p, -0.5, 0.7) * D) + jnp.sum(jnp.tril(p, 1) * D)
     + jnp.sum(jnp.triu(p) ** 2) + jnp.sum(p.reshape(2, 6) * D.reshape(2, 6)) + jnp.sum(jnp.cumsum(p, axis=1) * D)
     + jnp.sum(jnp.cumsum(p, axis=0) * D) + jnp.sum(jnp.stack([p[0], p[2]]) * D[0:2]), P)

# --- softmax family ---------------------------------------------------------------------------
S = randn(4, 5)
M = np.where(rng.random((4, 5)) < 0.3, -np.inf, 0.0); M[:, 0] = 0.0
T = randn(4, 5)
sm_setup = f"let T = {lit(T)}\nlet M = {lit(M)}"
case("softmax with temperature, axis and mask", ["softmax"], sm_setup,
     "sum(softmax(P) * T) + sum(softmax(P, temperature: 0.5, axis: 0) * T) + sum(softmax(P + M, temperature: 2) * T)",
     lambda p: jnp.sum(softmax(p, 1) * T) + jnp.sum(softmax(p, 0, 0.5) * T) + jnp.sum(softmax(p + M, 1, 2.0) * T), S)
case("log_softmax", ["log_softmax"], sm_setup,
     "sum(log_softmax(P) * T) + sum(log_softmax(P, axis: 0, temperature: 3) * T)",
     lambda p: jnp.sum(jax.nn.log_softmax(p, axis=1) * T) + jnp.sum(jax.nn.log_softmax(p / 3, axis=0) * T), S)
targets = [3, 0, 4, 1]
case("cross_entropy", ["cross_entropy"], "", f"cross_entropy(P, {targets})",
     lambda p: -jnp.mean(jax.nn.log_softmax(p, axis=1)[jnp.arange(4), jnp.array(targets)]), S)

# --- layer norm, ffn ----------------------------------------------------------------------------
Xn = randn(5, 6); G = randn(1, 6); Bt = randn(1, 6); Tn = randn(5, 6)
ln_setup = f"let G = {lit(G)}\nlet Bt = {lit(Bt)}\nlet Tn = {lit(Tn)}"
case("layer_norm", ["layer_norm"], ln_setup, "sum(layer_norm(P, gamma: G, beta: Bt) * Tn) + sum(layer_norm(P, eps: 0.1) * Tn * Tn)",
     lambda p: jnp.sum(layer_norm(p, G, Bt) * Tn) + jnp.sum(layer_norm(p, eps=0.1) * Tn * Tn), Xn)
case("layer_norm gamma", ["layer_norm"], f"let X = {lit(Xn)}\nlet Bt = {lit(Bt)}\nlet Tn = {lit(Tn)}",
     "sum(layer_norm(X, gamma: P, beta: Bt) * Tn)", lambda g: jnp.sum(layer_norm(Xn, g, Bt) * Tn), G)
W1 = randn(6, 8, 0.5); b1 = randn(1, 8, 0.1); W2 = randn(8, 6, 0.5); b2 = randn(1, 6, 0.1)
ffn_setup = f"let X = {lit(Xn)}\nlet W1 = {lit(W1)}\nlet b1 = {lit(b1)}\nlet W2 = {lit(W2)}\nlet b2 = {lit(b2)}\nlet Tn = {lit(Tn)}"
case("ffn", ["ffn"], ffn_setup, "sum(ffn(X, W1, P, W2, b2) * Tn) + sum(ffn(X, W1, b1, W2, b2) * Tn)",
     lambda p: jnp.sum((gelu(Xn @ W1 + p) @ W2 + b2) * Tn) + jnp.sum((gelu(Xn @ W1 + b1) @ W2 + b2) * Tn), b1)
case("ffn input", ["ffn"], ffn_setup, "sum(ffn(P, W1, b1, W2, b2) * Tn)",
     lambda x: jnp.sum((gelu(x @ W1 + b1) @ W2 + b2) * Tn), Xn)

# --- attention -------------------------------------------------------------------------------------
Xa = randn(5, 8); Wq = randn(8, 8, 0.4); Wk = randn(8, 8, 0.4); Wv = randn(8, 8, 0.4); Wo = randn(8, 8, 0.4)
Ta = randn(5, 8); Ts = randn(5, 5)
att_setup = (f"let X = {lit(Xa)}\nlet Wq = {lit(Wq)}\nlet Wk = {lit(Wk)}\nlet Wv = {lit(Wv)}\nlet Wo = {lit(Wo)}"
             f"\nlet Ta = {lit(Ta)}\nlet Ts = {lit(Ts)}\nlet mask = causal_mask(5)")
Xs = Xa * 0.3
case("raw attention", ["raw_attention_weights", "raw_attention"], f"let Ta = {lit(Ta)}\nlet Ts = {lit(Ts)}",
     "sum(raw_attention_weights(P) * Ts) + sum(raw_attention(P) * Ta)",
     lambda x: jnp.sum(softmax(x @ x.T, 1) * Ts) + jnp.sum(softmax(x @ x.T, 1) @ x * Ta), Xs)
case("attention_weights", ["attention_weights"], att_setup,
     "sum(attention_weights(P, X @ Wk, mask: mask) * Ts) + sum(attention_weights(P, X, scaled: false) * Ts)",
     lambda q: jnp.sum(attention_weights(q, Xa @ Wk, causal(5)) * Ts) + jnp.sum(attention_weights(q, Xa, scaled=False) * Ts), Xa @ Wq)
case("attention", ["attention"], att_setup,
     "sum(attention(P, X @ Wk, P @ Wv, mask: mask) * Ta) + sum(attention(X, P, P) * Ta)",
     lambda x: jnp.sum(attention_weights(x, Xa @ Wk, causal(5)) @ (x @ Wv) * Ta) + jnp.sum(attention_weights(Xa, x) @ x * Ta), Xa)
case("single_head", ["single_head"], att_setup, "sum(single_head(X, Wq, P, Wv, mask: mask) * Ta)",
     lambda wk: jnp.sum(attention_weights(Xa @ Wq, Xa @ wk, causal(5)) @ (Xa @ Wv) * Ta), Wk)
case("multi_head", ["multi_head"], att_setup, "sum(multi_head(P, Wq, Wk, Wv, Wo, heads: 2, mask: mask) * Ta)",
     lambda x: jnp.sum(multi_head_concat(x @ Wq, x @ Wk, x @ Wv, 2, causal(5)) @ Wo * Ta), Xa)
case("multi_head weights", ["multi_head"], att_setup, "sum(multi_head(X, Wq, Wk, Wv, P, heads: 4) * Ta)",
     lambda wo: jnp.sum(multi_head_concat(Xa @ Wq, Xa @ Wk, Xa @ Wv, 4) @ wo * Ta), Wo)
case("multi_head_weights", ["multi_head_weights"], att_setup,
     "sum(multi_head_weights(X, P, Wk, heads: 2, mask: mask)[1] * Ts) + sum(multi_head_weights(X, P, Wk, heads: 2)[0] * Ts)",
     lambda wq: jnp.sum(attention_weights((Xa @ wq)[:, 4:], (Xa @ Wk)[:, 4:], causal(5)) * Ts)
     + jnp.sum(attention_weights((Xa @ wq)[:, :4], (Xa @ Wk)[:, :4]) * Ts), Wq)
case("split_heads and concat_heads", ["split_heads", "concat_heads"], att_setup,
     "sum(concat_heads([split_heads(P, 2)[1], split_heads(P, 2)[0]]) * Ta)",
     lambda x: jnp.sum(jnp.hstack([x[:, 4:], x[:, :4]]) * Ta), Xa)

# --- transformer blocks and a GPT (AttentionCore level: weights written out) ----------------------


def block_params(d, heads, mlp=True, scale=0.3):
    p = {"Wq": randn(d, d, scale), "Wk": randn(d, d, scale), "Wv": randn(d, d, scale), "Wo": randn(d, d, scale),
         "bq": randn(1, d, 0.1), "bk": randn(1, d, 0.1), "bv": randn(1, d, 0.1), "bo": randn(1, d, 0.1),
         "ln1_gamma": 1 + randn(1, d, 0.1), "ln1_beta": randn(1, d, 0.1)}
    if mlp:
        p.update({"W1": randn(d, 4 * d, scale), "b1": randn(1, 4 * d, 0.1), "W2": randn(4 * d, d, scale), "b2": randn(1, d, 0.1),
                  "ln2_gamma": 1 + randn(1, d, 0.1), "ln2_beta": randn(1, d, 0.1)})
    return p


def block_attention(x, p, heads, mask):
    q, k, v = x @ p["Wq"] + p["bq"], x @ p["Wk"] + p["bk"], x @ p["Wv"] + p["bv"]
    return multi_head_concat(q, k, v, heads, mask) @ p["Wo"] + p["bo"]


def block(x, p, heads, mask, norm):
    mlp = "W1" in p
    ffn = lambda h: gelu(h @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    if norm == "pre":
        x = x + block_attention(layer_norm(x, p["ln1_gamma"], p["ln1_beta"]), p, heads, mask)
        if mlp:
            x = x + ffn(layer_norm(x, p["ln2_gamma"], p["ln2_beta"]))
        return x
    x = layer_norm(x + block_attention(x, p, heads, mask), p["ln1_gamma"], p["ln1_beta"])
    if mlp:
        x = layer_norm(x + ffn(x), p["ln2_gamma"], p["ln2_beta"])
    return x


blocks = []
d, heads, n = 8, 2, 5
xb = randn(n, d)
tb = randn(n, d)
for norm in ["pre", "post"]:
    for mlp in [True, False]:
        p = block_params(d, heads, mlp)
        loss_fn = lambda params, x: jnp.sum(block(x, params, heads, causal(n), norm) * tb)
        gp, gx = jax.grad(loss_fn, argnums=(0, 1))(p, xb)
        blocks.append({"norm": norm, "mlp": mlp, "heads": heads, "params": as_json(p), "x": as_json(xb), "target": as_json(tb),
                       "value": float(loss_fn(p, xb)), "grad_params": as_json(gp), "grad_x": as_json(gx)})


def gpt_loss(m, seqs, heads):
    total = 0.0
    for s in seqs:
        ids = jnp.array(s[:-1]); tg = jnp.array(s[1:])
        x = m["wte"][ids] + m["wpe"][: len(s) - 1]
        for b in m["blocks"]:
            x = block(x, b, heads, causal(len(s) - 1), "pre")
        logits = layer_norm(x, m["ln_f_gamma"], m["ln_f_beta"]) @ m["wte"].T
        total = total + (-jnp.mean(jax.nn.log_softmax(logits, axis=1)[jnp.arange(len(s) - 1), tg]))
    return total / len(seqs)


models = []
for mlp in [True, False]:
    vocab, context, layers = 7, 6, 2
    m = {"wte": randn(vocab, d, 0.5), "wpe": randn(context, d, 0.5), "blocks": [block_params(d, heads, mlp) for _ in range(layers)],
         "ln_f_gamma": 1 + randn(1, d, 0.1), "ln_f_beta": randn(1, d, 0.1)}
    seqs = [list(map(int, rng.integers(0, vocab, 7))) for _ in range(3)]
    value, g = jax.value_and_grad(gpt_loss)(m, seqs, heads)
    models.append({"mlp": mlp, "vocab": vocab, "context": context, "heads": heads, "params": as_json(m), "sequences": seqs,
                   "loss": float(value), "grad": as_json(g)})

lang = ROOT / "Tests/AttentionLanguageTests/Fixtures/gradients.json"
core = ROOT / "Tests/AttentionCoreTests/Fixtures/gradients_model.json"
lang.parent.mkdir(parents=True, exist_ok=True)
meta = {"generator": "scripts/make_gradient_fixtures.py", "jax": jax.__version__, "dtype": "float64"}
lang.write_text(json.dumps({**meta, "cases": [c for c in cases if c]}, indent=1) + "\n")
core.write_text(json.dumps({**meta, "blocks": blocks, "models": models}, indent=1) + "\n")
print(f"wrote {len(cases)} language cases to {lang.relative_to(ROOT)} and {len(blocks)} blocks, {len(models)} models to {core.relative_to(ROOT)}")
