"""The build server: ``python -m regenpolicy build`` hands its build to a process that keeps the helpers warm.

A build that starts its own helpers spends about 6.5 CPU-s, on a 2-core machine most of its first 4 s,
starting processes: its own imports, Sphinx's process, the kernels' fork server, the drawing workers
(vl-convert) and Chromium. ``make site`` keeps one set of them for all its editions, ``make preview``
for all its rebuilds; the build server keeps one set for the builds of one project that follow one
another from the command line, as Gradle's daemon does for its builds.

- **Started by a build.** A ``build`` that finds no server builds as before, in its own process, then
  starts one in the background for its project (``python -m regenpolicy.builder.server serve``, in a
  session of its own, its output in a log beside its socket). The server imports the build, starts
  Sphinx's process, the fork server and its kernels, the drawing workers and Chromium, and waits.
- **Used by the next.** The next ``build`` of the project, once the no-op check has found something to
  do, connects to the server's socket and sends its command line, its folder, the no-op fingerprint
  and its standard output and error (the file descriptors themselves): the server runs the same
  command (``cli.run_in``) with its warm ``Session``, writing to the caller's terminal, and answers
  with the exit code. The caller's output, exit codes, lock, staging and publishing are the build's
  own, unchanged: the server only runs it. Only the helpers' own messages (Chromium's, a kernel's
  stderr) go to the server's log rather than the terminal.
- **One per project and code.** The socket is named by the project's folder and the code that builds
  (the running package's files, the Python, the installed distributions, ``requirements.txt``, the
  environment variables the build reads: ``ENV_KEYS``): an edit to the package gives a new name, so a
  build never runs in a server started from other code, and the old server leaves within
  ``CHECK_SECONDS``. One build runs at a time; a second waits for it.
- **Its helpers' files.** Sphinx's warm application is made afresh when its folder was deleted
  (``book.WarmSphinx``), and the session's drawing workers for a build with another cache, or when
  their cache or font subset was deleted (``make clean``; ``pipeline``, ``Drawer.serves``).
- **Ctrl-C** in the caller asks the server to stop the build at its next step (after the notebooks,
  before Sphinx, before publishing), as a newer save stops one in the preview: nothing is published
  and the caller exits with 130. A second Ctrl-C leaves at once (the server stops the build there on
  its own). A caller that is killed stops its build the same way (its socket closes).
- **Leaving.** The server leaves after ``IDLE_SECONDS`` without a build, when a build failed in a step
  (exit 1: a helper may be broken; the next build starts afresh), when its code changed (checked after
  each build and every ``CHECK_SECONDS``), or when asked (``python -m regenpolicy.builder.server stop``).
- **Off** with ``REGENPOLICY_BUILD_SERVER=0``, and by default where ``CI`` is set (a CI job leaves no
  process behind); ``REGENPOLICY_BUILD_SERVER=1`` turns it on there.
- **Only its owner.** The socket lives in ``<tmp>/rp-build-<uid>/``, a folder only its owner may
  enter (one that is not is not used), and the server answers only a peer of its own user id. A request
  is at most ``MAX_REQUEST`` bytes and names the server's own project, or it is refused.

Standard library only until the server imports the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import io
import json
import os
import select
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from regenpolicy.builder import noop

ENV = "REGENPOLICY_BUILD_SERVER"
IDLE_SECONDS = 600.0  # a server with no build for this long leaves
START_SECONDS = 10.0  # how long a build waits for the server it started to listen
CHECK_SECONDS = 30.0  # how often an idle server checks that its code is unchanged
MAX_REQUEST = 1 << 20  # bytes of a request read at most
# what the build and its helpers read from the environment, which the server's processes keep from its start:
# the Chromium asked for (and the PATH it is found on), and what Sphinx and Python read for dates and text
ENV_KEYS = ("CHROMIUM", "PATH", "SOURCE_DATE_EPOCH", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONHASHSEED")
STOPPED = 130  # the exit code of a build stopped by Ctrl-C (as a shell reports SIGINT)
STOPPED_LINE = "[build] stopped at Ctrl-C before publishing: the previous output is unchanged"


def enabled() -> bool:
    """Whether ``build`` uses (and starts) a build server: ``REGENPOLICY_BUILD_SERVER`` 0 or 1, else not where ``CI`` is set."""
    value = os.environ.get(ENV, "")
    if value in ("0", "1"):
        return value == "1"
    return os.environ.get("CI") is None


def folder() -> Path | None:
    """``<tmp>/rp-build-<uid>``, made if missing; None if it is not a folder only this user may enter."""
    base = Path(tempfile.gettempdir()) / f"rp-build-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        st = base.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return base


def key(root: Path, package: Path | None = None) -> str:
    """The name of the server of ``root`` built by this code: the project's folder, the package's files
    (``package``, by default the running one), the Python, the installed distributions, the pinned
    requirements and the environment variables the build's processes read (``ENV_KEYS``)."""
    h = hashlib.sha256()
    h.update(json.dumps({"root": str(root.resolve()), "python": [sys.executable, sys.version],
                         "packages": noop._packages(), "env": {k: os.environ.get(k) for k in ENV_KEYS}}).encode())
    requirements = root / "requirements.txt"
    h.update(hashlib.sha256(requirements.read_bytes()).digest() if requirements.is_file() else b"-")
    noop.hash_package(h, (package or noop.running_package()).resolve())
    return h.hexdigest()[:24]


def _paths(root: Path) -> tuple[Path, Path, Path] | None:
    """The server's socket, lock (holding its pid) and log; None where there is no private folder."""
    base = folder()
    if base is None:
        return None
    name = key(root)
    return base / f"{name}.sock", base / f"{name}.lock", base / f"{name}.log"


def pid(root: Path) -> int | None:
    """The pid of the server of ``root`` (this code's), if one runs."""
    paths = _paths(root)
    return None if paths is None else _holder(paths[1])


def _holder(lock_path: Path) -> int | None:
    """The pid written in a server's lock while the server holds it; None if none holds it."""
    try:
        with lock_path.open("r", encoding="utf-8") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: a server runs
                return int(lock.read().strip() or 0) or None
            fcntl.flock(lock, fcntl.LOCK_UN)
    except (OSError, ValueError):
        pass
    return None


# --- the caller -------------------------------------------------------------------------------------
def _connect(root: Path) -> socket.socket | None:
    paths = _paths(root)
    if paths is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(paths[0]))
    except OSError:
        conn.close()
        return None
    return conn


def delegate(root: Path, argv: list[str], inputs: str | None) -> int | None:
    """Run the ``build`` command ``argv`` in the server of ``root``; its exit code, or None when there is no
    server to run it (none runs, it is turned off, or it stopped before answering: the caller builds)."""
    if not enabled():
        return None
    conn = _connect(root)
    if conn is None:
        return None
    with conn:
        request = {"argv": argv, "cwd": str(Path.cwd()), "inputs": inputs,
                   "encoding": [sys.stdout.encoding or "utf-8", sys.stderr.encoding or "utf-8"]}
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [sys.stdout.fileno(), sys.stderr.fileno()])
        except (OSError, ValueError):
            return None
        code = _answer(conn)
    if code is None:
        print("[build] the build server stopped without finishing the build; building here", flush=True)
    return code


def _answer(conn: socket.socket) -> int | None:
    """The server's exit code for the build; None if its socket closed first. Ctrl-C asks it to stop."""
    data = b""
    asked = False
    while b"\n" not in data:
        try:
            chunk = conn.recv(4096)
        except KeyboardInterrupt:
            if asked:
                print("[build] left; the build server stops the build at its next step", file=sys.stderr, flush=True)
                return STOPPED
            asked = True
            print("\n[build] stopping the build at its next step (Ctrl-C again: leave now)", file=sys.stderr, flush=True)
            with contextlib.suppress(OSError):
                conn.sendall(b"stop\n")
            continue
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    try:
        return int(json.loads(data.split(b"\n", 1)[0])["exit"])
    except (ValueError, KeyError, TypeError):
        return None


def start(root: Path) -> bool:
    """Start the server of ``root`` in the background (unless one runs); whether one was started. Returns
    once it listens (it binds its socket before it imports the build: about 0.1 s), so that the next
    build finds it, and waits there while it warms up."""
    paths = _paths(root)
    if paths is None or _holder(paths[1]) is not None:
        return False
    told, tell = os.pipe()  # the server writes a byte once it listens (or closes it unwritten, leaving)
    try:
        with paths[2].open("wb") as log:
            subprocess.Popen([sys.executable, "-m", "regenpolicy.builder.server", "serve", str(root.resolve()), str(tell)],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=root, start_new_session=True,
                             close_fds=True, pass_fds=(tell,))
        os.close(tell)
        readable, _, _ = select.select([told], [], [], START_SECONDS)
        return bool(readable) and os.read(told, 1) == b"1"
    finally:
        os.close(told)


def ask(root: Path, what: str) -> dict[str, Any] | None:
    """Ask the server of ``root`` to answer ``ping`` (once it is warm) or to ``stop``; its answer, None if none runs."""
    conn = _connect(root)
    if conn is None:
        return None
    with conn:
        try:
            conn.sendall(json.dumps({what: True}).encode() + b"\n")
            data = b""
            while b"\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return None
                data += chunk
        except OSError:
            return None
    try:
        answer = json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


# --- the server -------------------------------------------------------------------------------------
Run = Callable[[list[str], str | None, Any], int]  # (argv, no-op fingerprint, session) → exit code


def _peer_uid(conn: socket.socket) -> int:
    """The caller's user id (Linux); elsewhere this user's (the folder's permissions keep others out)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return os.getuid()
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int], bytes]:
    """One request line, the file descriptors sent with it (closed here if the request is refused) and
    what came after the line (a caller's ``stop``, sent at once)."""
    data, fds, _, _ = socket.recv_fds(conn, 65536, 2)
    try:
        while b"\n" not in data:
            if len(data) > MAX_REQUEST:
                raise ValueError(f"a request longer than {MAX_REQUEST} bytes")
            chunk = conn.recv(65536)
            if not chunk:
                raise ValueError("the request ended without its line end")
            data += chunk
        line, rest = data.split(b"\n", 1)
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request that is not an object")
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        raise
    return request, fds, rest


def _reply(conn: socket.socket, answer: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller has gone
        conn.sendall(json.dumps(answer).encode() + b"\n")


def _stream(fd: int, encoding: Any) -> io.TextIOWrapper:
    name = encoding if isinstance(encoding, str) and encoding else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        name = "utf-8"
    return io.TextIOWrapper(io.FileIO(fd, "w", closefd=True), encoding=name, errors="backslashreplace",
                            line_buffering=True)


def handle(conn: socket.socket, session: Any, run: Run, stop_error: type[BaseException]) -> tuple[str, int]:
    """One caller: ``("build", exit code)``, ``("ping", 0)``, ``("stop", 0)`` or ``("refused", 2)``."""
    if _peer_uid(conn) != os.getuid():
        return "refused", 2
    try:
        request, fds, rest = _receive(conn)
    except (OSError, ValueError):
        return "refused", 2
    if request.get("ping") or request.get("stop"):
        for fd in fds:
            os.close(fd)
        _reply(conn, {"pid": os.getpid(), "stopping": bool(request.get("stop"))})
        return ("stop" if request.get("stop") else "ping"), 0
    argv, cwd, inputs = request.get("argv"), request.get("cwd"), request.get("inputs")
    encodings = [*request.get("encoding", []), None, None] if isinstance(request.get("encoding"), list) else [None, None]
    if (len(fds) != 2 or not isinstance(argv, list) or not all(isinstance(a, str) for a in argv)
            or not isinstance(cwd, str) or not (inputs is None or isinstance(inputs, str))):
        for fd in fds:
            os.close(fd)
        _reply(conn, {"exit": 2})
        return "refused", 2
    out, err = _stream(fds[0], encodings[0]), _stream(fds[1], encodings[1])
    stopping = threading.Event()
    if b"stop" in rest:
        stopping.set()

    def watch() -> None:  # "stop" (Ctrl-C), or the socket closing (the caller was killed)
        with contextlib.suppress(OSError):
            while True:
                chunk = conn.recv(64)
                if not chunk or b"stop" in chunk:
                    break
        stopping.set()

    threading.Thread(target=watch, daemon=True).start()
    saved = sys.stdout, sys.stderr, Path.cwd()
    sys.stdout, sys.stderr = out, err
    session.superseded = stopping.is_set
    code = 1
    try:
        os.chdir(cwd)
        print(f"[build] run by this project's build server (pid {os.getpid()}; "
              "python -m regenpolicy.builder.server stop ends it)", flush=True)
        code = run(argv, inputs, session)
    except stop_error:
        print(STOPPED_LINE, file=sys.stderr)
        code = STOPPED
    except SystemExit as exc:  # argparse's refusal of the command line (its message is printed)
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # (reported to the caller, as a build in its own process would be)
        traceback.print_exc()
        code = 1
    finally:
        session.superseded = None
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.chdir(saved[2])
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
    _reply(conn, {"exit": code})
    return "build", code


def serve(root: Path, run: Run | None = None, session: Any = None, idle: float = IDLE_SECONDS,
          listening: Callable[[], None] | None = None) -> int:
    """Serve the builds of ``root`` until idle for ``idle`` seconds, a build fails in a step, the code
    changes or a ``stop``; 0. ``run`` and ``session`` are the build's (``cli.run_in`` and a warm
    ``Session``) unless given (the tests' own). ``listening`` is called once the socket listens."""
    paths = _paths(root)
    if paths is None:
        return 0
    sock_path, lock_path, log_path = paths
    name = sock_path.stem
    with lock_path.open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another server of this project and code runs
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock_path.unlink(missing_ok=True)  # left by a server that was killed
            listener.bind(str(sock_path))
            listener.listen(16)  # callers wait here while the server warms up
            if listening is not None:
                listening()
            stop_error: type[BaseException] = KeyboardInterrupt
            if run is None or session is None:
                _few_arenas()
                run, session, stop_error = _warm(root)
            listener.settimeout(min(idle, CHECK_SECONDS))
            waited = 0.0
            while True:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    waited += min(idle, CHECK_SECONDS)
                    if waited >= idle or key(root) != name:
                        break  # idle, or the code changed: a build now starts another server
                    continue
                waited = 0.0
                with conn:
                    conn.settimeout(None)
                    kind, code = handle(conn, session, run, stop_error)
                if kind == "build":
                    _trim()
                if kind == "stop" or (kind == "build" and code == 1) or key(root) != name:
                    break  # asked; a step failed (a helper may be broken); the code changed
        finally:
            sock_path.unlink(missing_ok=True)
            listener.close()
            if session is not None:
                session.close()
            # its files go with it (each code and project names new ones): the lock while still held, the
            # log if nothing was written to it
            lock_path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                if log_path.stat().st_size == 0:
                    log_path.unlink()
    return 0


M_ARENA_MAX = -8  # glibc's mallopt() parameter


@functools.cache
def _libc() -> Any:
    """glibc, loaded once (the server trims after every build), or None."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _few_arenas() -> None:
    """Two malloc arenas for the server's threads, set before it starts any. glibc gives each new thread an
    arena of its own, up to eight a core, and keeps in it what a thread freed: each build's new threads (the
    deck's among them) grew the server by about 50 MB a build (339 MB to 772 MB in 13 one-table edits). With
    two, and what a build freed given back after it (``_trim``), it stayed at 314-333 MB over 9."""
    libc = _libc()
    if libc is not None:  # (not glibc: its own allocator)
        libc.mallopt(M_ARENA_MAX, 2)


def _trim() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _warm(root: Path) -> tuple[Run, Any, type[BaseException]]:
    """The build imported and its helpers started: the fork server and its kernels, Sphinx's process,
    the drawing workers and Chromium."""
    from regenpolicy.builder.book import SphinxWorker
    from regenpolicy.builder.cli import run_in
    from regenpolicy.builder.execute import SharedKernels
    from regenpolicy.builder.pdf import Chromium
    from regenpolicy.builder.pipeline import Session, Superseded
    from regenpolicy.builder.project import Project
    from regenpolicy.presentation.draw import Drawer, to_png

    project = Project(root)
    kernels, drawer, chromium = SharedKernels(), Drawer(root / "_build" / ".cache", text=project.chart_text), Chromium()
    session = Session(kernels=kernels, sphinx=SphinxWorker(preview=False), drawer=drawer, chromium=chromium)
    drawer.warm()
    kernels.warm((os.cpu_count() or 1) + 1)  # (the size a build asks for: run_notebooks)
    chromium.warm(2)  # the browser, and the pages the report's PDF prints on
    # vl-convert starts its threads at its first call in a process (about 0.65 s): the deck's pictures are
    # drawn in this one
    to_png('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    drawer.wait()
    return functools.partial(run_in, root=root), session, Superseded


def main(argv: list[str]) -> int:
    if len(argv) in (2, 3) and argv[0] == "serve":  # serve <project> [<descriptor told when it listens>]
        tell = int(argv[2]) if len(argv) == 3 else None

        def listening() -> None:
            if tell is not None:
                os.write(tell, b"1")
                os.close(tell)

        return serve(Path(argv[1]), listening=listening)
    if len(argv) in (1, 2) and argv[0] in ("stop", "status"):
        root = Path(argv[1] if len(argv) == 2 else ".").resolve()
        answer = ask(root, "stop" if argv[0] == "stop" else "ping")
        print(f"build server of {root}: " + (("stopped" if argv[0] == "stop" else "running")
                                              + f" (pid {answer['pid']})" if answer else "none runs"))
        return 0
    print("usage: python -m regenpolicy.builder.server serve <project> | stop [<project>] | status [<project>]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    from regenpolicy.presentation.worker import leave

    leave(main(sys.argv[1:]))
