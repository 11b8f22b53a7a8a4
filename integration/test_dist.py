"""A release tarball (scripts/dist.sh, what `make dist` runs on the release build) installs
and runs with the checkout out of reach, as a new user would use it: the tarball copied to
an empty folder, unpacked there, `attention-kernel install --prefix` run from there, then
the kernel started through jupyter_client and a cell executed.

"Out of reach" is enforced, not assumed: the install and the kernel run in a private mount
namespace (``unshare -m``, as root) where an empty tmpfs is mounted over the checkout, so
nothing under it (kernelspec/, Sources/, .build/) can be read. The test's virtual
environment lives in the checkout, so it is bind-mounted elsewhere first.

Here the tarball packs the debug binary the other tests use; `make dist` packs the release
binary with the same script.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CLIENT = textwrap.dedent("""
    import json, sys
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    kernels = sys.argv[1]
    ksm = KernelSpecManager(kernel_dirs=[kernels])
    km = KernelManager(kernel_name="attention", kernel_spec_manager=ksm)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    msg_id = kc.execute('let A = [1, 2; 3, 4]\\nprint("from the tarball")\\nsum(A @ eye(2))')
    outputs = {}
    while True:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            outputs["stdout"] = outputs.get("stdout", "") + msg["content"]["text"]
        if msg["msg_type"] == "execute_result":
            outputs["result"] = msg["content"]["data"]["text/plain"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    outputs["argv0"] = km.kernel_spec.argv[0]
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    print(json.dumps(outputs))
""")


def in_namespace(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``script`` (sh) in a private mount namespace where the checkout is empty."""
    return subprocess.run(["unshare", "--mount", "sh", "-ec", script, "sh", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tarball(attention_kernelspec, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "dist.sh"), attention_kernelspec.argv[0], str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == out
    return path


def test_the_tarball_holds_the_binary_readme_and_notices(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        top = names[0].split("/")[0]
        assert top.startswith("attention-kernel-") and top.endswith(f"-linux-{__import__('platform').machine()}")
        assert {f"{top}/attention-kernel", f"{top}/README.md", f"{top}/THIRD-PARTY-NOTICES.txt"} <= set(names)
        binary = archive.getmember(f"{top}/attention-kernel")
        assert binary.mode & 0o111
        readme = archive.extractfile(f"{top}/README.md").read().decode()
        notices = archive.extractfile(f"{top}/THIRD-PARTY-NOTICES.txt").read().decode()
    assert "libzmq5" in readme and "libopenblas0" in readme
    assert "swift-argument-parser" in notices and "Apache License" in notices


@pytest.mark.timeout(300)
def test_install_from_the_tarball_with_the_checkout_out_of_reach(tarball, tmp_path):
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to hide the checkout")
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(tarball, empty)
    venv = tmp_path / "venv"
    venv.mkdir()
    (tmp_path / "client.py").write_text(CLIENT)
    top = tarball.name.removesuffix(".tar.gz")
    script = """
        checkout="$1"; empty="$2"; venv_src="$3"; venv="$4"; top="$5"; client="$6"
        mount --bind "$venv_src" "$venv"
        mount -t tmpfs none "$checkout"
        test -z "$(ls -A "$checkout")"                 # the checkout is out of reach
        cd "$empty"
        tar -xzf ./*.tar.gz
        "./$top/attention-kernel" --version
        "./$top/attention-kernel" install --prefix "$empty/prefix"
        env -u JUPYTER_PATH -u JUPYTER_DATA_DIR HOME="$empty" "$venv/bin/python" "$client" "$empty/prefix/share/jupyter/kernels"
    """
    done = in_namespace(script, str(ROOT), str(empty), sys.prefix, str(venv), top, str(tmp_path / "client.py"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].count(".") == 2  # --version
    spec = json.loads((empty / "prefix" / "share" / "jupyter" / "kernels" / "attention" / "kernel.json").read_text())
    installed = str(empty / top / "attention-kernel")
    assert spec["argv"] == [installed, "-f", "{connection_file}"]
    assert spec["metadata"]["supported_encryption"] == ["curve"]
    run = json.loads(lines[-1])
    assert run["argv0"] == installed
    assert run["stdout"] == "from the tarball\n"
    assert run["result"] == "10"
    # The logos came from the binary too.
    logos = empty / "prefix" / "share" / "jupyter" / "kernels" / "attention"
    assert (logos / "logo-64x64.png").read_bytes() == (ROOT / "kernelspec" / "attention" / "logo-64x64.png").read_bytes()
