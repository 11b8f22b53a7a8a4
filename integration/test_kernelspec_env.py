"""Per-student limits from the kernelspec's ``env`` (docs/ROBUSTNESS.md, "Limits"): a
course sets ATTN_* variables in kernel.json, and a student who asks for more gets a clear
LimitError in their own kernel, which goes on working; a kernel from a kernelspec without
them, running at the same time, is not limited."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from kernel_helpers import execute

LIMITED = "attention-limited"
LIMITS = {"ATTN_MAX_ELEMENTS": "10000", "ATTN_MAX_WORK": "1e5"}


@pytest.fixture
def kernels(attention_kernelspec, tmp_path):
    """A kernel of a kernelspec with LIMITS in its env, and one of the installed kernelspec."""
    folder = tmp_path / "kernels" / LIMITED
    folder.mkdir(parents=True)
    spec = json.loads((Path(attention_kernelspec.resource_dir) / "kernel.json").read_text())
    spec["display_name"] = "Attention (limited)"
    spec["env"] = LIMITS
    (folder / "kernel.json").write_text(json.dumps(spec))
    started = []
    for manager in (KernelManager(kernel_name=LIMITED, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])),
                    KernelManager(kernel_name="attention")):
        manager.start_kernel()
        kc = manager.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        started.append((manager, kc))
    try:
        yield started[0][1], started[1][1]
    finally:
        for manager, kc in started:
            kc.stop_channels()
            manager.shutdown_kernel(now=True)


def limit_error(execution, variable: str, words: str) -> None:
    """One LimitError naming ``variable``, as error output and reply; nothing on stderr."""
    assert execution.status == "error", execution.content
    assert execution.content["ename"] == "LimitError", execution.content
    assert words in execution.content["evalue"] and variable in execution.content["evalue"], execution.content
    assert len(execution.of_type("error")) == 1 and not execution.stream("stderr")


def test_a_kernelspec_env_limit_is_a_clear_error_in_that_kernel_only(kernels):
    limited, default = kernels
    assert execute(limited, "keep = 7").status == "ok"

    # ATTN_MAX_ELEMENTS=10000: a 200×200 matrix has 40,000.
    limit_error(execute(limited, "zeros(200, 200)"), "ATTN_MAX_ELEMENTS", "more than the 10000 elements allowed")
    # ATTN_MAX_WORK=1e5: a 50×50 product needs 125,000 multiply-adds, a 40×40 one 64,000.
    limit_error(execute(limited, "let A = ones(50, 50)\nA @ A"), "ATTN_MAX_WORK", "more than the 100000 allowed")
    small = execute(limited, "let B = ones(40, 40) @ ones(40, 40)\nB[0, 0]")
    assert small.status == "ok" and small.result_text() == "40", small.content

    # Still alive, nothing lost.
    kept = execute(limited, "keep + A[0, 0]")
    assert kept.status == "ok" and kept.result_text() == "8", kept.content

    # The kernel of the kernelspec without limits, at the same time, is not limited.
    fine = execute(default, "let Z = zeros(200, 200)\nlet A = ones(50, 50)\nZ[199, 199] + (A @ A)[0, 0]")
    assert fine.status == "ok" and fine.result_text() == "50", fine.content
