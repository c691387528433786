"""Child processes the build talks to a line at a time: the drawing workers, the warm Sphinx
process and the kernel fork server. Each reads requests on its standard input and stops when that
input closes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def stop(process: subprocess.Popen[str], timeout: float = 10) -> None:
    """Close the child's input (its signal to stop), wait for it, and kill it if it does not stop."""
    if process.poll() is None:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


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
