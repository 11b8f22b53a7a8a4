"""jupyter_kernel_test conformance suite for the attention kernel.

Every sample attribute of jupyter_kernel_test.KernelTests is filled in, so no test of
the suite is skipped (conftest.py turns any skip into a failure), and
``test_every_sample_attribute_is_set`` checks that against the installed version.
"""
from __future__ import annotations

import inspect
import unittest

import jupyter_kernel_test as jkt
import pytest

from conftest import KERNEL_NAME, LANGUAGE, fresh_history_env

MATRIX_MIME = "application/vnd.attention.matrix+json"


@pytest.mark.usefixtures("attention_kernelspec")
class AttentionKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = LANGUAGE
    file_extension = ".attn"

    @classmethod
    def setUpClass(cls) -> None:
        # test_history's unique search counts every input matching "1 + *" in the history:
        # this kernel starts with a history of its own, so other tests' inputs are not in it
        cls.km, cls.kc = jkt.start_new_kernel(kernel_name=cls.kernel_name, env=fresh_history_env(cls.__name__))

    code_hello_world = 'print("hello, world")'
    code_stderr = 'warn("oops")'

    # complete_request with the cursor at the end; matches are compared as exact sets.
    completion_samples = [
        {"text": "soft", "matches": {"softmax"}},
        {"text": "causal_", "matches": {"causal_mask"}},
        {"text": "multi_head", "matches": {"multi_head", "multi_head_weights"}},
        # names bound earlier in the same (unexecuted) code are offered too
        {"text": "let zz = 1\nz", "matches": {"zeros", "zz"}},
        {"text": "x = "},  # any matches; the reply must validate
    ]

    complete_code_samples = [
        "1 + 2",
        "func f(x) = x",
        "let A = [1, 2; 3, 4]",
        "for i in 0..<3 { print(i) }",
        "func g(x) {\n  return x * 2\n}",
        "let B = [1, 2,\n  3, 4]",
    ]
    incomplete_code_samples = [
        "func f(x) {",
        "let A = [1, 2,",
        "softmax(A,",
        "if true {\n  print(1)",
    ]
    invalid_code_samples = [
        "1 + )",
        "let = 3",
        "}",
    ]

    code_page_something = "help(softmax)"
    code_generate_error = "undefined_name_xyz"

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "0.1 + 0.2", "result": "0.30000000000000004"},
        {"code": "1 / 0", "result": "inf"},
        {"code": "2 > 1", "result": "true"},
        {"code": "[1, 2; 3, 4] @ eye(2)", "mime": MATRIX_MIME,
         "result": {"shape": [2, 2], "data": [[1, 2], [3, 4]]}},
        {"code": "softmax([0, 0])", "mime": MATRIX_MIME,
         "result": {"shape": [1, 2], "data": [[0.5, 0.5]]}},
        {"code": "causal_mask(2)", "mime": MATRIX_MIME,
         "result": {"shape": [2, 2], "data": [[0, "-inf"], [0, 0]]}},
        {"code": "eye(2)", "mime": "text/html"},
    ]
    code_display_data = [
        {"code": "heatmap(eye(2))", "mime": "image/png"},
        {"code": "show(eye(2))", "mime": "text/html"},
        {"code": "show(eye(2))", "mime": "text/plain"},
    ]

    # glob pattern, matched against whole inputs: "1 + 2" only
    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "softmax"
    code_clear_output = "clear_output()"


@pytest.mark.usefixtures("attention_kernelspec")
@pytest.mark.timeout(30)  # the suite waits for the welcome without a timeout of its own
class AttentionIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True


# --- the harness checks itself (no kernel needed) --------------------------------------

def _sample_attributes(base: type) -> list[str]:
    """Public non-method class attributes the suite reads (kc/km are set at run time)."""
    return sorted(
        name for name, value in vars(base).items()
        if not name.startswith("_") and not callable(value)
        and not isinstance(value, (classmethod, staticmethod, property))
    )


@pytest.mark.parametrize("base, ours", [
    (jkt.KernelTests, AttentionKernelTests),
    (jkt.IopubWelcomeTests, AttentionIopubWelcomeTests),
])
def test_every_sample_attribute_is_set(base, ours):
    attrs = _sample_attributes(base)
    assert attrs, f"found no sample attributes on {base.__name__}: the introspection is broken"
    unset = [a for a in attrs if not getattr(ours, a)]
    not_overridden = [a for a in attrs if a not in vars(ours) and a != "kernel_name"]
    assert not unset, f"{ours.__name__} leaves {unset} empty (jupyter_kernel_test {jkt.__version__} would skip)"
    assert not not_overridden, f"{ours.__name__} inherits defaults for {not_overridden}"
    assert ours.kernel_name == KERNEL_NAME


def test_every_suite_test_is_collected():
    """Every test_* of the installed suite runs on our subclass (none renamed away)."""
    for base in (jkt.KernelTests, jkt.IopubWelcomeTests):
        names = [n for n, v in inspect.getmembers(base, inspect.isfunction) if n.startswith("test_")]
        assert names, base
    loader = unittest.TestLoader()
    assert set(loader.getTestCaseNames(AttentionKernelTests)) >= set(
        loader.getTestCaseNames(jkt.KernelTests))


def test_history_pattern_matches_exactly_one_sample():
    from fnmatch import fnmatchcase

    codes = [s["code"] for s in AttentionKernelTests.code_execute_result]
    hits = [c for c in codes if fnmatchcase(c, AttentionKernelTests.code_history_pattern)]
    assert len(hits) == 1, hits  # test_history's unique search wants exactly one entry
