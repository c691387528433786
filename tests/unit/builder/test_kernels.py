"""Warm kernels: forks of one process that imported everything, each used by one notebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder.kernels import Kernel, WarmKernels, run_async, shutdown


def run(kernel: Kernel, code: str) -> str:
    """Run ``code`` through the client that came with the kernel (connected and ready: no wait here)."""
    async def go() -> str:
        out: list[str] = []
        reply = await kernel.client.execute_interactive(
            code, output_hook=lambda m: out.append(m["content"].get("text", "")), timeout=60)
        assert reply["content"]["status"] == "ok", reply
        return "".join(out)

    return run_async(go())


@pytest.fixture(scope="module")
def kernels():
    """One warm set for the module (starting it imports everything: seconds); the last test closes it."""
    k = WarmKernels(2, "regenpolicy")
    yield k
    k.close()  # again, if a test stopped before closing it: closing twice is harmless


def test_kernels_are_separate_processes_with_the_imports_done(kernels):
    a, b = kernels.take(), kernels.take()
    try:
        pid_a = run(a, "import os, sys; x = 1; print(os.getpid(), 'pandas' in sys.modules, 'altair' in sys.modules)")
        pid_b = run(b, "import os; print(os.getpid(), 'x' in globals())")
        assert pid_a.split()[1:] == ["True", "True"]  # the heavy imports came with the fork
        assert pid_a.split()[0] != pid_b.split()[0] and pid_b.split()[1] == "False"  # no state shared
    finally:
        shutdown(a)
        shutdown(b)


def test_closing_leaves_no_kernel_behind_and_waits_for_the_released_ones(kernels):
    used, held = kernels.take(), kernels.take()
    pids = [int(run(k, "import os; print(os.getpid())")) for k in (used, held)]
    zygote = kernels.zygote.process.pid
    kernels.release(used)  # shut down in the background
    kernels.close()
    assert not used.client.channels_running  # the release's shutdown ran to its end before close returned
    shutdown(held)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/status").read_text().count("zombie")
    assert kernels.zygote.process.poll() is not None and not Path(f"/proc/{zygote}/cmdline").exists()
