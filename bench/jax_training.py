"""One AdamW training step (forward, backward, update) of a nanoGPT-shaped GPT in JAX, jit-compiled,
on the CPU, for bench/run_bench.py's training table. Prints JSON: per model, the median step time
in float64 (the reference) and float32 (for comparison).

The model is the kernel's: token and learned position embeddings, pre-norm blocks (biases, exact
GELU, 4x FFN), final layer norm, output tied to wte; loss = mean next-token cross-entropy; AdamW
(betas 0.9, 0.95, eps 1e-8, weight decay 0.1 on matrices with more than one row) and global-norm
clipping to 1, as `train` does. Batches are random windows of context + 1 ids.
"""
import json
import math
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


def init(key, vocab, context, layers, d, dtype):
    def w(key, r, c):
        return (0.02 * jax.random.normal(key, (r, c))).astype(dtype)
    keys = iter(jax.random.split(key, 4 + layers * 8))
    p = {"wte": w(next(keys), vocab, d), "wpe": w(next(keys), context, d), "blocks": [],
         "ln_f_g": jnp.ones((1, d), dtype), "ln_f_b": jnp.zeros((1, d), dtype)}
    for _ in range(layers):
        p["blocks"].append({
            "Wq": w(next(keys), d, d), "Wk": w(next(keys), d, d), "Wv": w(next(keys), d, d), "Wo": w(next(keys), d, d),
            "bq": jnp.zeros((1, d), dtype), "bk": jnp.zeros((1, d), dtype), "bv": jnp.zeros((1, d), dtype), "bo": jnp.zeros((1, d), dtype),
            "W1": w(next(keys), d, 4 * d), "b1": jnp.zeros((1, 4 * d), dtype), "W2": w(next(keys), 4 * d, d), "b2": jnp.zeros((1, d), dtype),
            "g1": jnp.ones((1, d), dtype), "be1": jnp.zeros((1, d), dtype), "g2": jnp.ones((1, d), dtype), "be2": jnp.zeros((1, d), dtype)})
    return p


def layer_norm(x, g, b):
    mu = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean((x - mu) ** 2, -1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + 1e-5) * g + b


def loss_fn(p, x, y, heads):
    B, T = x.shape
    d = p["wte"].shape[1]
    h = p["wte"][x] + p["wpe"][:T]
    mask = jnp.tril(jnp.ones((T, T), bool))
    for b in p["blocks"]:
        a = layer_norm(h, b["g1"], b["be1"])
        q, k, v = a @ b["Wq"] + b["bq"], a @ b["Wk"] + b["bk"], a @ b["Wv"] + b["bv"]
        split = lambda t: t.reshape(B, T, heads, d // heads).transpose(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        s = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(d // heads)
        s = jnp.where(mask, s, -jnp.inf)
        o = (jax.nn.softmax(s, -1) @ v).transpose(0, 2, 1, 3).reshape(B, T, d)
        h = h + o @ b["Wo"] + b["bo"]
        f = layer_norm(h, b["g2"], b["be2"])
        h = h + jax.nn.gelu(f @ b["W1"] + b["b1"], approximate=False) @ b["W2"] + b["b2"]
    logits = layer_norm(h, p["ln_f_g"], p["ln_f_b"]) @ p["wte"].T
    lp = jax.nn.log_softmax(logits, -1)
    return -jnp.mean(jnp.take_along_axis(lp, y[..., None], -1))


def make_step(heads, lr=1e-3, b1=0.9, b2=0.95, eps=1e-8, wd=0.1):
    def step(p, m, v, t, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y, heads)
        norm = jnp.sqrt(sum(jnp.sum(leaf * leaf) for leaf in jax.tree_util.tree_leaves(g)))
        scale = jnp.minimum(1.0, 1.0 / (norm + 1e-6))
        g = jax.tree_util.tree_map(lambda a: a * scale, g)
        m = jax.tree_util.tree_map(lambda m_, g_: m_ + (g_ - m_) * (1 - b1), m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: v_ * b2 + (1 - b2) * g_ * g_, v, g)
        c1, c2 = 1 - b1 ** t, jnp.sqrt(1 - b2 ** t)

        def update(p_, m_, v_):
            decay = 1 - lr * wd if p_.shape[0] > 1 else 1.0
            return p_ * decay - (lr / c1) * m_ / (jnp.sqrt(v_) / c2 + eps)
        return jax.tree_util.tree_map(update, p, m, v), m, v, loss
    return jax.jit(step)


def measure(shape, dtype, steps):
    vocab, context, layers, heads, d, batch = (shape[k] for k in ("vocab", "context", "layers", "heads", "d", "batch"))
    p = init(jax.random.PRNGKey(0), vocab, context, layers, d, dtype)
    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    rng = np.random.default_rng(1)
    stream = rng.integers(0, vocab, 20000)
    step = make_step(heads)
    times = []
    for t in range(steps + 2):
        starts = rng.integers(0, len(stream) - context - 1, batch)
        x = jnp.array(np.stack([stream[s:s + context] for s in starts]))
        y = jnp.array(np.stack([stream[s + 1:s + context + 1] for s in starts]))
        t0 = time.perf_counter()
        p, m, v, loss = step(p, m, v, jnp.asarray(t + 1, dtype), x, y)
        loss.block_until_ready()
        if t >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    return {"median_step_s": times[len(times) // 2], "best_step_s": times[0], "last_loss": float(loss)}


if __name__ == "__main__":
    shapes = json.loads(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    out = []
    for shape in shapes:
        out.append({"name": shape["name"], "float64": measure(shape, jnp.float64, steps), "float32": measure(shape, jnp.float32, steps)})
    print(json.dumps({"jax": jax.__version__, "devices": str(jax.devices()), "models": out}))
