"""Child processes the build talks to a line at a time: the drawing workers, the warm Sphinx
process and the kernel fork server. Each reads requests on its standard input and stops when that
input closes. And how the build waits for what they do (``result_of``): in steps that Ctrl-C ends."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, wait
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


def result_of(future: Future[T], tick: float = 0.25) -> T:
    """``future.result()``, waited for in short steps: Ctrl-C reaches the main thread even when another
    thread took the signal (Python runs its handler when the main thread next runs Python code, which
    an untimed wait would delay until the notebook, the drawing or the print waited for has ended)."""
    while not future.done():
        wait([future], timeout=tick)
    return future.result()


def stop(process: subprocess.Popen[str], timeout: float = 10) -> None:
    """Close the child's input (its signal to stop), wait for it, and kill it if it does not stop."""
    stop_all([process], timeout)


def stop_all(processes: Iterable[subprocess.Popen[str]], timeout: float = 10) -> None:
    """``stop`` for several children at once: every input is closed before any is waited for; then
    our ends of their pipes are closed."""
    processes = list(processes)
    running = [p for p in processes if p.poll() is None]
    for process in running:
        assert process.stdin is not None
        process.stdin.close()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for process in processes:
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # (closing an input the child left unread)
                    pipe.close()


def leave(code: int = 0) -> NoReturn:
    """End this process now, its output flushed: what a child calls once its input has closed (and
    ``python -m regenpolicy`` once its command is done). Everything it made is written and closed by
    then; an ordinary exit would only tear down the modules it imported (Sphinx, pandas, vl-convert:
    0.2-0.6 s that its parent, and the author, wait for) and run exit handlers with nothing left to do."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or its reader has gone: nothing more to say
            stream.flush()
    os._exit(code)


class LineWorker:
    """``python -m MODULE ARGS…``: one JSON request a line in, one JSON reply a line out."""

    def __init__(self, module: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", module, *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, request: Any) -> dict[str, Any] | None:
        """The reply to ``request``; None if the worker has stopped."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def close(self) -> None:
        stop(self.process)
