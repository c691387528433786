"""Warm kernels: forks of one process that imported everything, each used by one notebook."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from regenpolicy.builder import kernels as kernels_module
from regenpolicy.builder.execute import ExecutionError, _execute
from regenpolicy.builder.kernels import Kernel, WarmKernels, close_early, run_async, shutdown, start_early


def run(kernel: Kernel, code: str) -> str:
    """Run ``code`` through the client that came with the kernel (connected and ready: no wait here)."""
    async def go() -> str:
        out: list[str] = []
        reply = await kernel.client.execute_interactive(
            code, output_hook=lambda m: out.append(m["content"].get("text", "")), timeout=60)
        assert reply["content"]["status"] == "ok", reply
        return "".join(out)

    return run_async(go())


EARLY: list[object] = []  # the zygote the command line would have started early (``start_early``)


@pytest.fixture(scope="module")
def kernels():
    """One warm set for the module (starting it imports everything: seconds), on a zygote started early
    as the command line starts it; the last test closes it."""
    start_early()
    EARLY.append(kernels_module._EARLY[-1])
    k = WarmKernels(2, "regenpolicy")
    yield k
    k.close()  # again, if a test stopped before closing it: closing twice is harmless


def test_the_first_warm_kernels_take_the_zygote_started_early_and_an_unused_one_is_stopped(kernels):
    assert kernels.zygote is EARLY[0] and not kernels_module._EARLY
    start_early()  # a build that then finds every notebook in its cache
    unused = kernels_module._EARLY[-1]
    close_early()
    assert unused.process.poll() is not None and not unused.dir.exists() and not kernels_module._EARLY
    close_early()  # nothing left to stop: harmless


def test_a_zygote_whose_build_was_killed_while_it_imported_stops_there_and_leaves_no_folder_behind():
    """A build killed outright (no ``close``) only closes the fork server's input: a fork server still
    importing stops at once (not seconds later, its imports done), and removes its folder in the temporary
    directory itself. (One killed once ready: the last test.)"""
    zygote = kernels_module.Zygote(wait=False)
    assert zygote.dir.is_dir()
    assert zygote.process.stdin is not None and zygote.process.stdout is not None
    zygote.process.stdin.close()  # what the end of a killed build does to it
    assert zygote.process.wait(timeout=120) == 0
    assert zygote.process.stdout.read() == ""  # it never became ready: it left during its imports
    assert not zygote.dir.exists()


def test_a_fork_servers_folder_is_removed_with_its_sockets_and_nothing_else(tmp_path):
    """The fork server is told its socket's path on its command line: it removes its own sockets and the
    kernels', and the folder only if that leaves it empty."""
    import socket as sockets

    for folder, other in ((tmp_path / "alone", None), (tmp_path / "shared", "notes.txt")):
        folder.mkdir()
        for name in ("zygote.sock", "k1-1", "k1-5", "k12-3"):
            with sockets.socket(sockets.AF_UNIX) as s:
                s.bind(str(folder / name))
        if other:
            (folder / other).write_text("not ours")
        kernels_module.remove_folder(folder / "zygote.sock")
        assert not folder.exists() if other is None else [p.name for p in folder.iterdir()] == [other]


def test_kernels_are_separate_processes_with_the_imports_done(kernels):
    a, b = kernels.take(), kernels.take()
    try:
        pid_a = run(a, "import os, sys; x = 1; print(os.getpid(), 'pandas' in sys.modules, 'altair' in sys.modules, "
                       "'debugpy' in sys.modules, (lambda env: len(env.cache) == len(env.list_templates(extensions=['j2'])) > 0)("
                       "sys.modules['regenpolicy.presentation.templating'].environment()))")
        pid_b = run(b, "import os; print(os.getpid(), 'x' in globals())")
        # the heavy imports came with the fork, and the figures' templates compiled
        assert pid_a.split()[1:] == ["True", "True", "True", "True"]
        assert pid_a.split()[0] != pid_b.split()[0] and pid_b.split()[1] == "False"  # no state shared
    finally:
        shutdown(a)
        shutdown(b)


def test_a_kernel_keeps_no_input_history_in_the_users_home(kernels):
    """IPython would open ~/.ipython/profile_default/history.sqlite in each kernel and write every cell
    into it from a thread of its own: outside the project, for cells no one recalls."""
    kernel = kernels.take()
    try:
        out = run(kernel, "import threading; h = get_ipython().history_manager; "
                          "print(h.enabled, type(h.db).__name__, any(t.name == 'IPythonHistorySavingThread' for t in threading.enumerate()))")
    finally:
        shutdown(kernel)
    assert out.split() == ["False", "DummyDB", "False"]  # no database opened, no thread


NOTEBOOK = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (regenpolicy)
  language: python
  name: regenpolicy
---

```{code-cell} ipython3
:tags: [parameters]

context = None
```

```{code-cell} ipython3
print("context:", context)
```

```{code-cell} ipython3
%s
```
"""


def notebook(tmp_path: Path, last_cell: str) -> SimpleNamespace:
    path = tmp_path / "probe.md"
    path.write_text(NOTEBOOK % last_cell, encoding="utf-8")
    return SimpleNamespace(path=path, name="probe")  # what _execute reads of a Step


def test_a_notebook_runs_in_a_pool_kernel_with_its_parameter_and_is_saved_without_run_details(kernels, tmp_path):
    import nbformat

    executed = _execute(notebook(tmp_path, "x = 6 * 7\nx"), tmp_path / "context.json", tmp_path, 30, kernels)
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert outputs[0]["text"] == f"context: {tmp_path / 'context.json'}\n"  # the parameter papermill injected
    assert outputs[1]["data"]["text/plain"] == "42"
    assert all("papermill" not in c.metadata and "injected-parameters" not in c.metadata.get("tags", [])
               for c in nb.cells)  # the run's timings and this machine's path are not kept


def test_a_cell_that_times_out_is_named_from_the_notebook_in_memory(kernels, tmp_path):
    step = notebook(tmp_path, "import threading\nthreading.Event().wait()")  # never returns
    with pytest.raises(ExecutionError, match=r"code cell 3 \(the cell starting 'import threading'\) did not finish within 1 s"):
        _execute(step, tmp_path / "context.json", tmp_path, 1, kernels)
    assert not (tmp_path / "probe.ipynb").exists()  # papermill saved nothing as the cells ran


def test_a_kernels_client_is_a_script_of_the_standard_library_started_without_site(tmp_path):
    """A build starts a client for every notebook: it runs isolated and without ``site`` (the package and
    the virtual environment's ``.pth`` files cost each about 70 ms of CPU), and with no fork server to ask,
    or no folder to work in (a kernel started ahead of need as the build ends), it exits 1 without a word."""
    import subprocess
    import sys

    from regenpolicy.builder import kernel_client

    argv = kernel_client.argv(str(tmp_path / "none.sock"))
    assert argv[:3] == [sys.executable, "-I", "-S"] and argv[3] == kernel_client.__file__
    probe = ("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='not_main'); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('regenpolicy', 'site', 'pathlib')))")
    loaded = subprocess.run([*argv[:3], "-c", probe, argv[3]], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"  # none of the package, of site, or of pathlib
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = subprocess.Popen([*argv[:4], str(tmp_path / "none.sock"), str(tmp_path / "kernel.json")], cwd=gone,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (1, "", "")
    removed = tmp_path / "removed"
    removed.mkdir()
    script = f"import os, runpy, sys; os.rmdir({str(removed)!r}); sys.argv = [{argv[3]!r}, 'x.sock', 'k.json']; " \
             f"runpy.run_path({argv[3]!r}, run_name='__main__')"
    proc = subprocess.run([*argv[:3], "-c", script], cwd=removed, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")  # its folder removed under it: quiet


def test_a_pool_with_a_limit_starts_no_kernel_beyond_it(kernels):
    """A build's pool starts as many kernels as it has notebooks to run, and none that would be shut down unused."""
    pool = kernels_module.KernelPool(kernels.zygote, 2, "regenpolicy", limit=3)  # (on the module's fork server)
    try:
        taken = [pool.take() for _ in range(3)]
        pool.thread.join(timeout=120)  # the pool has stopped filling
        assert not pool.thread.is_alive()
        assert pool.counter == 3 and not pool.ready
        for kernel in taken:
            assert run(kernel, "print(1 + 1)").strip() == "2"
            shutdown(kernel)
    finally:
        pool.close()


def test_closing_leaves_no_kernel_behind_and_waits_for_the_released_ones(kernels, tmp_path):  # (last: it closes them)
    used, held = kernels.take(), kernels.take()
    pids = [int(run(k, "import os; print(os.getpid())")) for k in (used, held)]
    zygote = kernels.zygote.process.pid
    folder, sock = kernels.zygote.dir, Path(kernels.zygote.socket)
    assert sock.is_socket()
    # what ``Zygote.close`` removes itself (after a killed fork server) pointed elsewhere: the fork server,
    # its input closed, removes its socket and its folder on its own, as it does when a build is killed
    kernels.zygote.socket = str(tmp_path / "elsewhere" / "zygote.sock")
    kernels.release(used)  # shut down in the background
    kernels.close()
    assert not sock.exists() and not folder.exists(), list(folder.iterdir())
    assert not used.client.channels_running  # the release's shutdown ran to its end before close returned
    shutdown(held)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/status").read_text().count("zombie")
    assert kernels.zygote.process.poll() is not None and not Path(f"/proc/{zygote}/cmdline").exists()
