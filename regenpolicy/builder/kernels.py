"""Kernels that are ready in a fraction of a second: a fork server and a pool of started kernels.

Starting a Jupyter kernel and importing pandas, Altair and the package takes seconds per notebook;
the notebook itself often runs in less. So the build starts one *zygote*: a Python process that
imports everything a notebook needs (ipykernel, IPython, pandas, NumPy, Altair, vl-convert, the
package's models and presentation layers) and then waits. Each kernel is a ``fork()`` of it —
its own process, used for one notebook and then shut down, so runs stay isolated — that only has
to open its sockets. On top, ``KernelPool`` keeps a few such kernels started ahead of need, each with
a client already connected and answered (jupyter_client's ``wait_for_ready`` ends by listening 0.2 s
for silence), so a notebook pays for running its cells, not for starting Python; a used kernel is shut
down in the background (``WarmKernels.release``) while the build reads its notebook.

The kernels plug into jupyter_client unchanged: their kernel spec runs a tiny client
(``kernel_client.py``, a script of the standard library run without ``site``) that asks the zygote
for a kernel, forwards signals to it and exits when it exits; if the client is killed, the zygote
kills its kernel; if the zygote dies, its kernels notice (ipykernel's parent poller) and exit.
The zygote forks from a single thread (BLAS threads are limited to one before NumPy is imported).

This module imports only the standard library (and the package's process helpers) at module level:
the zygote imports what it preloads itself, once its environment is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, NamedTuple

from regenpolicy.builder import kernel_client
from regenpolicy.presentation.worker import leave, stop

# What every kernel would import when it starts, were it not imported here: ipykernel.debugger (and with it
# debugpy's ~150 modules: half of a kernel's CPU until it answered, 170 ms, before it was here) and what
# IPython's shell imports as it starts (its inspector, completer, debugger, the store magic, tornado's loop)
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.debugger", "IPython", "IPython.core.oinspect", "IPython.core.completerlib",
    "IPython.core.debugger", "IPython.extensions.storemagic", "tornado.platform.asyncio",
    "numpy", "pandas", "altair", "vl_convert", "myst_nb", "nbformat",
    "regenpolicy.presentation.notebook", "regenpolicy.presentation.figures",
)
# BLAS threads limited to one before NumPy is imported; and debugpy (imported by ipykernel.debugger) not
# warning on the zygote's stderr, at its import, that breakpoints in frozen modules may be missed
ZYGOTE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


# --- the zygote (server side) -------------------------------------------------------------------------
def _preload() -> None:
    import importlib
    import pkgutil

    import regenpolicy.models

    for name in PRELOAD:
        importlib.import_module(name)
    for info in pkgutil.iter_modules(regenpolicy.models.__path__, "regenpolicy.models."):
        importlib.import_module(info.name)
    # the figures' templates compiled once, here, not in each kernel that renders one (a zygote never
    # outlives an edit of them: a change to the package starts a new build server, and the preview restarts
    # its kernels)
    from regenpolicy.presentation import templating

    env = templating.environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


def _run_kernel(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become an ipykernel on the given connection file; never returns."""
    try:
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.update(request.get("env", {}))
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        # no input history: IPython would open (and write) a SQLite file in the user's home with a thread of
        # its own for each kernel, for cells that no one recalls
        app.initialize(["-f", request["connection_file"], f"--IPKernelApp.parent_handle={os.getppid()}",
                        "--HistoryManager.enabled=False"])
        app.start()
    except BaseException as exc:  # report anything, then leave without running the zygote's code
        print(f"regenpolicy kernel: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)


KERNEL_SOCKET = re.compile(r"k\d+-\d+")  # each kernel's sockets, beside the fork server's (``k<n>-<port>``)


def remove_folder(socket_path: Path) -> None:
    """Remove a fork server's socket, its kernels' beside it, and their folder if nothing else is in it (the
    socket is named on the command line: whatever else may be in its folder is not ours to remove)."""
    folder = socket_path.parent
    with contextlib.suppress(OSError):
        socket_path.unlink()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if KERNEL_SOCKET.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _preload_unless_left(path: str) -> None:
    """``_preload``, but a build that goes while it runs (killed, Ctrl-C, or every notebook found in its
    cache: seconds of imports) ends it there: a thread watches stdin until the imports are done, and is
    gone before the first fork."""
    done = threading.Event()

    def watch() -> None:
        stdin = sys.stdin.fileno()
        while not done.is_set():
            if select.select([stdin], [], [], 0.1)[0] and not os.read(stdin, 4096):
                remove_folder(Path(path))  # our socket's folder, which the build made
                leave()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        _preload()
    finally:
        done.set()
        watcher.join()


def serve(path: str) -> None:
    """Import everything once, then fork a kernel for every client until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the build, which closes our stdin
    os.environ.update(ZYGOTE_ENV)
    _preload_unless_left(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    kernels: dict[socket.socket, int] = {}  # client connection → kernel pid
    stdin = sys.stdin.fileno()
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([listener, stdin, *kernels], [], [], 0.2)
        while kernels:  # reap kernels that exited; tell their clients
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            for conn, kernel in list(kernels.items()):
                if kernel == pid:
                    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                    conn.close()
                    del kernels[conn]
        for source in readable:
            if source == stdin:
                if not os.read(stdin, 4096):  # the build has gone: so do we, and our kernels
                    for kernel in kernels.values():
                        _kill(kernel)
                    for kernel in kernels.values():
                        with contextlib.suppress(ChildProcessError):
                            os.waitpid(kernel, 0)
                    listener.close()
                    # the folder the build made for us, with our socket and the kernels' (those of a kernel
                    # started ahead of need and killed unused are still there): a killed build cannot remove it
                    remove_folder(Path(path))
                    leave()
            elif source is listener:
                conn, _ = listener.accept()
                request, fds = _receive(conn)
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    for other in kernels:
                        other.close()
                    conn.close()
                    _run_kernel(request, fds)
                for fd in fds:
                    os.close(fd)
                kernels[conn] = pid
                _send(conn, {"pid": pid})
            elif isinstance(source, socket.socket) and source in kernels and not source.recv(4096):
                _kill(kernels.pop(source))  # the client was killed: its kernel goes too
                source.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the client has gone
        conn.sendall(json.dumps(message).encode() + b"\n")


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    return json.loads(data.decode()), fds


# --- the build's side ------------------------------------------------------------------------------------
class Zygote:
    """The fork server for one build (or one preview session)."""

    def __init__(self, wait: bool = True) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rp-"))  # short: unix socket paths are limited to 108 bytes
        self.socket = str(self.dir / "zygote.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "regenpolicy.builder.kernels", "serve", self.socket],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, **ZYGOTE_ENV}, text=True)
        self._ready = False
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until the zygote has imported everything and listens; RuntimeError if it did not start."""
        if self._ready:
            return
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.close()
            raise RuntimeError(f"the kernel fork server did not start (exit {self.process.poll()})")
        self._ready = True

    def manager_class(self) -> type:
        """A jupyter_client kernel manager whose kernels are forks of this zygote (ipc transport)."""
        from jupyter_client.kernelspec import KernelSpec
        from jupyter_client.manager import AsyncKernelManager

        spec = KernelSpec(argv=kernel_client.argv(self.socket),
                          display_name="Python 3 (regenpolicy)", language="python", interrupt_mode="signal")

        class ForkKernelManager(AsyncKernelManager):
            @property
            def kernel_spec(self) -> KernelSpec:
                return spec

        return ForkKernelManager

    def close(self) -> None:
        if not self._ready:  # still importing (an early one no build took): it holds nothing yet
            self.process.kill()
            self.process.wait()
        stop(self.process)  # the zygote kills its kernels, removes its folder and exits when its input closes
        remove_folder(Path(self.socket))  # (unless it was killed first)


class Kernel(NamedTuple):
    """A started kernel (its jupyter_client manager) and a client whose channels are open and whose
    ``kernel_info`` request the kernel has answered: what nbclient would otherwise connect and wait for."""

    manager: Any
    client: Any


async def _ready(km: Any, cwd: str, timeout: float = 60) -> Kernel:
    """Start ``km``'s kernel and connect a client to it (nbclient's start and wait, with its time-out)."""
    await km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=timeout)
    except BaseException:
        kc.stop_channels()
        with contextlib.suppress(Exception):
            await km.shutdown_kernel(now=True)
        raise
    return Kernel(km, kc)


class KernelPool:
    """Started kernels waiting for a notebook; each is used once, then shut down. With a ``limit`` (a build
    that knows how many notebooks it runs), no more kernels are started in all than that: none is started
    only to be shut down unused as the build ends."""

    def __init__(self, zygote: Zygote, size: int, kernel_name: str, limit: int | None = None):
        self.zygote, self.size, self.kernel_name, self.limit = zygote, size, kernel_name, limit
        self.cls = zygote.manager_class()
        self.ready: list[Kernel] = []
        self.lock = threading.Condition()
        self.closed = False
        self.counter = 0  # kernels started, by the pool and by ``take``
        self.starting = False  # the pool is starting one
        self.waiting = False  # a notebook waits for it
        self.thread = threading.Thread(target=self._fill, daemon=True)
        self.thread.start()

    def _start(self, n: int) -> Kernel:
        km = self.cls(kernel_name=self.kernel_name, transport="ipc", ip=str(self.zygote.dir / f"k{n}"))
        kernel: Kernel = run_async(_ready(km, str(self.zygote.dir)))
        return kernel

    def _fill(self) -> None:
        while True:
            with self.lock:
                while not self.closed and len(self.ready) >= self.size:
                    self.lock.wait()
                if self.closed or (self.limit is not None and self.counter >= self.limit):
                    return
                self.counter += 1
                n = self.counter
                self.starting = True
            try:
                kernel = self._start(n)
            except Exception:  # the notebook that takes a kernel will start its own and report why
                with self.lock:
                    self.starting = False
                    self.lock.notify_all()
                return
            with self.lock:
                self.starting = False
                self.lock.notify_all()
                if not self.closed:
                    self.ready.append(kernel)
                    continue
            shutdown(kernel)
            return

    def take(self) -> Kernel:
        """A started kernel: one from the pool; else the one the pool is starting, if no other notebook
        waits for it (it is as far along as a kernel started now would be, and costs no second start);
        else a new one."""
        with self.lock:
            if not self.ready and self.starting and not self.waiting:
                self.waiting = True
                while not self.ready and self.starting and not self.closed:
                    self.lock.wait()
                self.waiting = False
            kernel = self.ready.pop(0) if self.ready else None
            self.lock.notify_all()
            if kernel is None:
                self.counter += 1
                n = self.counter
        return kernel if kernel is not None else self._start(n)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            kernels, self.ready = self.ready, []
            self.lock.notify_all()
        stopping = [threading.Thread(target=shutdown, args=(kernel,)) for kernel in kernels]
        for thread in stopping:  # each waits about 0.1 s for its process to go: together
            thread.start()
        for thread in stopping:
            thread.join()


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to its end from synchronous code, in a thread of its own if this one has a loop."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # handed to the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def shutdown(kernel: Kernel) -> None:
    """Close the client's channels, stop the kernel now and remove its files."""
    with contextlib.suppress(Exception):
        kernel.client.stop_channels()
    with contextlib.suppress(Exception):  # a kernel that is already gone needs no shutdown
        run_async(kernel.manager.shutdown_kernel(now=True))


# A zygote started early, before the build knows that a notebook has to run (``start_early``).
_EARLY: list[Zygote] = []
_EARLY_LOCK = threading.Lock()


def start_early() -> None:
    """Start a zygote now, without waiting for it: the command line calls this first thing for a build
    or a site that is not up to date, so that the zygote imports pandas, Altair and the models (about
    0.9 s) while the build imports itself, validates the data and works out which notebooks are out of
    date. The build's first ``WarmKernels`` takes it; ``close_early`` stops it when none did (every
    notebook came from the cache: a prose edit, measured no slower for it)."""
    with _EARLY_LOCK:
        if not _EARLY:
            with contextlib.suppress(OSError):  # not started: the build starts one when it needs it
                _EARLY.append(Zygote(wait=False))


def _take_early() -> Zygote | None:
    with _EARLY_LOCK:
        return _EARLY.pop() if _EARLY else None


def close_early() -> None:
    """Stop the early zygote if no build took it."""
    zygote = _take_early()
    if zygote is not None:
        zygote.close()


class WarmKernels:
    """A zygote (the early one, if one was started) and a pool of its kernels, for one build or one
    preview session."""

    def __init__(self, size: int, kernel_name: str, limit: int | None = None):
        self.zygote = _take_early() or Zygote()
        self.zygote.ready()
        self.pool = KernelPool(self.zygote, size, kernel_name, limit)
        self.stopping: list[threading.Thread] = []
        self.lock = threading.Lock()

    def take(self) -> Kernel:
        return self.pool.take()

    def release(self, kernel: Kernel) -> None:
        """Shut a used kernel down in a thread of its own (it waits about 0.1 s for the process to go):
        the build goes on with the notebook's result meanwhile; ``close`` waits for it."""
        thread = threading.Thread(target=shutdown, args=(kernel,), daemon=True)
        thread.start()
        with self.lock:
            self.stopping = [t for t in self.stopping if t.is_alive()] + [thread]

    def close(self) -> None:
        with self.lock:
            stopping, self.stopping = self.stopping, []
        for thread in stopping:
            thread.join()
        self.pool.close()
        self.zygote.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(argv[1])
        return 0
    print("usage: python -m regenpolicy.builder.kernels serve <socket>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
