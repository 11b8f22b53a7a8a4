#!/usr/bin/env python3
"""Regenerates Tests/AttentionCoreTests/Fixtures/optimizers.json from PyTorch (float64, CPU).

    .venv/bin/python -m pip install -r scripts/fixtures-requirements.txt
    .venv/bin/python scripts/make_optimizer_fixtures.py

Two parameters as nanoGPT groups them: a 3×4 weight (weight decay) and a 1×4 bias (none),
five steps of given random gradients, through torch.optim.AdamW and torch.optim.SGD (momentum),
recording the parameters after every step. The kernel's OptimizerState follows PyTorch's
single-tensor code operation by operation and must agree to 1e-15 relative (PyTorch's CPU
kernels fuse some multiply-adds, so a few elements differ in the last bit).
"""
import json
import pathlib

import numpy as np
import torch

torch.set_default_dtype(torch.float64)  # step counters and bias corrections in float64 too
ROOT = pathlib.Path(__file__).resolve().parent.parent
rng = np.random.default_rng(7)
w0, b0 = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
grads = [(rng.standard_normal((3, 4)), rng.standard_normal((1, 4))) for _ in range(5)]


def run(make):
    w, b = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt = make([{"params": [w], "weight_decay": None}, {"params": [b], "weight_decay": 0.0}])
    out = []
    for gw, gb in grads:
        w.grad, b.grad = torch.tensor(gw), torch.tensor(gb)
        opt.step()
        out.append([w.detach().numpy().reshape(-1).tolist(), b.detach().numpy().reshape(-1).tolist()])
    return out


def adamw(groups):
    groups[0]["weight_decay"] = 0.1
    return torch.optim.AdamW(groups, lr=0.01, betas=(0.9, 0.95), eps=1e-8, foreach=False)


def sgd(groups):
    groups[0]["weight_decay"] = 0.01
    return torch.optim.SGD(groups, lr=0.05, momentum=0.9, foreach=False)


data = {"generator": "scripts/make_optimizer_fixtures.py", "torch": torch.__version__,
        "w0": w0.reshape(-1).tolist(), "b0": b0.reshape(-1).tolist(),
        "grads": [[gw.reshape(-1).tolist(), gb.reshape(-1).tolist()] for gw, gb in grads],
        "adamw": {"lr": 0.01, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "steps": run(adamw)},
        "sgd": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "steps": run(sgd)}}
path = ROOT / "Tests/AttentionCoreTests/Fixtures/optimizers.json"
path.write_text(json.dumps(data, indent=1) + "\n")
print(f"wrote {path.relative_to(ROOT)} (torch {torch.__version__})")
