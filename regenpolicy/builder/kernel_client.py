"""The kernel spec's client (``regenpolicy.builder.kernels``): what jupyter_client starts as "the kernel".

It asks the build's fork server for a kernel on the connection file, forwards signals to it and exits
with it. It is run as a script by its path, isolated and without ``site`` (``python -I -S <this file>
<socket> <connection file>``), so it imports only the standard library: a build starts one for every
notebook, and the package's imports and the virtual environment's ``.pth`` files cost each of them about
70 ms of CPU that this relay has no use for.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys


def client(path: str, connection_file: str) -> int:
    """Ask the fork server listening on ``path`` for a kernel on ``connection_file``; relay signals to it;
    return its exit status when it exits (1, quietly, when there is no fork server or no folder to work in:
    the build is ending, and a kernel it started ahead of need is not wanted)."""
    # (os.path, not pathlib: pathlib imports re and fnmatch, 10 ms of a process that lives to relay)
    try:
        env = {k: v for k, v in os.environ.items() if k.startswith(("JPY_", "PYDEVD_"))}
        request = json.dumps({"connection_file": os.path.realpath(connection_file), "cwd": os.getcwd(),  # noqa: PTH109
                              "env": env})
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        socket.send_fds(conn, [request.encode()], [0, 1, 2])
        reader = conn.makefile("r")
        pid = json.loads(reader.readline())["pid"]
    except (OSError, ValueError):  # the fork server has stopped, or its folder was removed (the build is ending)
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signum))
    line = reader.readline()  # blocks until the kernel exits (or the fork server goes)
    return int(json.loads(line)["exit"]) if line else 1


def argv(socket_path: str) -> list[str]:
    """The kernel spec's command line for a fork server listening on ``socket_path``."""
    here = os.path.abspath(__file__)  # noqa: PTH100
    return [sys.executable, "-I", "-S", here, socket_path, "{connection_file}"]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -I -S kernel_client.py <socket> <connection file>", file=sys.stderr)
        sys.exit(2)
    sys.exit(client(sys.argv[1], sys.argv[2]))
