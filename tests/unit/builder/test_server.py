"""The build server's protocol, with a stand-in for the build: what the caller sees (its own output,
the exit code), Ctrl-C and a killed caller stopping the build, and when the server leaves. The real
build in a server is tested in tests/integration/test_server.py."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regenpolicy.builder import cli, server


class Stop(Exception):
    """The stand-in's Superseded."""


class FakeSession:
    def __init__(self) -> None:
        self.superseded: Any = None
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The servers' folder in a temporary folder of this test's own, with a short path (a socket's path
    is at most 107 bytes: pytest's own folders under pytest-xdist are longer)."""
    base = Path(tempfile.mkdtemp(prefix="rps-", dir="/tmp"))
    monkeypatch.setattr(server.tempfile, "gettempdir", lambda: str(base))
    monkeypatch.setenv(server.ENV, "1")
    yield base
    shutil.rmtree(base, ignore_errors=True)


class Serving:
    """``server.serve`` in a thread with a stand-in build (``run``) and session."""

    def __init__(self, root: Path, run: server.Run, idle: float = 30.0) -> None:
        self.session = FakeSession()
        self.thread = threading.Thread(target=self._serve, args=(root, run, idle), daemon=True)
        self.returned: int | None = None
        self.listening = threading.Event()
        self.thread.start()
        assert self.listening.wait(10), "the server did not start"

    def _serve(self, root: Path, run: server.Run, idle: float) -> None:
        self.returned = server.serve(root, run=run, session=self.session, idle=idle, listening=self.listening.set)

    def stopped(self, timeout: float = 10.0) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()


@pytest.fixture
def caller_streams(capfd: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    """The caller's standard output and error, captured at their descriptors (the server writes to those)."""
    return capfd


def test_the_switch_follows_the_variable_and_is_off_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(server.ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    assert server.enabled()
    monkeypatch.setenv("CI", "1")
    assert not server.enabled()
    monkeypatch.setenv(server.ENV, "1")
    assert server.enabled()
    monkeypatch.delenv("CI")
    monkeypatch.setenv(server.ENV, "0")
    assert not server.enabled()


def test_a_folder_others_may_enter_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.tempfile, "gettempdir", lambda: str(tmp_path))
    made = server.folder()
    assert made == tmp_path / f"rp-build-{os.getuid()}" and (made.stat().st_mode & 0o777) == 0o700
    made.chmod(0o755)
    assert server.folder() is None
    made.rmdir()
    made.symlink_to(tmp_path)  # a link planted in its place
    assert server.folder() is None


def test_the_name_changes_with_the_code_and_the_project(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("x = 1\n")
    (package / "__pycache__").mkdir()
    first = server.key(tmp_path, package)
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"byte-code: not the code")
    assert server.key(tmp_path, package) == first
    (package / "mod.py").write_text("x = 2\n")
    assert server.key(tmp_path, package) != first
    assert server.key(tmp_path / "pkg", package) != server.key(tmp_path, package)


def test_the_build_writes_to_the_callers_own_output_in_its_folder_and_returns_its_code(
        private_tmp: Path, caller_streams: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def run(argv: list[str], inputs: str | None, session: Any) -> int:
        seen.update(argv=argv, inputs=inputs, cwd=Path.cwd(), session=session)
        print("[build] 図を描いた")
        print("a warning", file=sys.stderr)
        return 3

    root = private_tmp / "project"
    root.mkdir()
    caller = private_tmp / "caller"
    caller.mkdir()
    serving = Serving(root, run)
    monkeypatch.chdir(caller)
    assert server.delegate(root, ["build", "--no-pdf"], "fingerprint") == 3
    assert seen["argv"] == ["build", "--no-pdf"] and seen["inputs"] == "fingerprint"
    assert seen["cwd"] == caller and seen["session"] is serving.session
    assert Path.cwd() == caller
    out, err = caller_streams.readouterr()
    assert "[build] 図を描いた" in out and "run by this project's build server" in out
    assert err == "a warning\n"
    assert server.pid(root) == os.getpid()
    assert server.ask(root, "stop") == {"pid": os.getpid(), "stopping": True}
    assert serving.stopped() and serving.session.closed
    assert server.pid(root) is None and server.delegate(root, ["build"], None) is None  # none runs now


def _waits_for_stop(started: threading.Event) -> server.Run:
    def run(argv: list[str], inputs: str | None, session: Any) -> int:
        started.set()
        # what the build asks between its steps is ``session.superseded()``: the server's event, set by a stop
        stopping = session.superseded.__self__
        assert isinstance(stopping, threading.Event)
        if stopping.wait(10):
            raise Stop()
        return 0

    return run


@pytest.fixture
def stoppable(private_tmp: Path, caller_streams: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[tuple[Serving, socket.socket, threading.Event]]:
    """A server whose stand-in build runs until it is asked to stop, and a caller connected to it."""
    started = threading.Event()
    root = private_tmp / "project"
    root.mkdir()
    serving = Serving(root, _waits_for_stop(started))
    monkeypatch.setattr(server, "handle", _with_stop_error(server.handle))
    conn = server._connect(root)
    assert conn is not None
    with conn:
        yield serving, conn, started
    server.ask(root, "stop")
    assert serving.stopped()


def test_ctrl_c_in_the_caller_stops_the_build_at_its_next_step(stoppable) -> None:
    serving, conn, started = stoppable
    socket.send_fds(conn, [b'{"argv": ["build"], "cwd": "/", "inputs": null}\n'], [sys.stdout.fileno(), sys.stderr.fileno()])
    assert started.wait(10)
    conn.sendall(b"stop\n")  # what the caller sends at Ctrl-C
    assert server._answer(conn) == server.STOPPED
    assert serving.session.superseded is None  # and the next build is not stopped by it


def test_a_stop_sent_with_the_request_is_not_lost(stoppable) -> None:
    _, conn, _ = stoppable  # a Ctrl-C right after the request: both in one read of the server's
    socket.send_fds(conn, [b'{"argv": ["build"], "cwd": "/", "inputs": null}\nstop\n'],
                    [sys.stdout.fileno(), sys.stderr.fileno()])
    assert server._answer(conn) == server.STOPPED


def _with_stop_error(handle: Any) -> Any:
    """``handle`` that knows the stand-in's stop exception (the real server's is pipeline.Superseded)."""
    return lambda conn, session, run, stop_error: handle(conn, session, run, Stop)


def test_a_caller_that_is_killed_stops_its_build(private_tmp: Path, caller_streams: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()
    root = private_tmp / "project"
    root.mkdir()
    results: list[tuple[str, int]] = []
    handle = server.handle

    def recording(conn: Any, session: Any, run: Any, stop_error: Any) -> tuple[str, int]:
        results.append(handle(conn, session, run, Stop))
        return results[-1]

    monkeypatch.setattr(server, "handle", recording)
    serving = Serving(root, _waits_for_stop(started))
    conn = server._connect(root)
    assert conn is not None
    socket.send_fds(conn, [b'{"argv": ["build"], "cwd": "/", "inputs": null}\n'], [sys.stdout.fileno(), sys.stderr.fileno()])
    assert started.wait(10)
    conn.close()  # the caller's process has gone
    assert server.ask(root, "ping") is not None  # answered once the stopped build has ended
    assert results[0] == ("build", server.STOPPED)
    server.ask(root, "stop")
    assert serving.stopped()


def test_the_server_leaves_after_a_failed_step_and_when_idle(private_tmp: Path, caller_streams: pytest.CaptureFixture[str]) -> None:
    root = private_tmp / "project"
    root.mkdir()
    serving = Serving(root, lambda argv, inputs, session: 1)
    assert server.delegate(root, ["build"], None) == 1
    assert serving.stopped() and serving.session.closed
    serving = Serving(root, lambda argv, inputs, session: 0, idle=0.3)
    assert serving.stopped(5) and serving.session.closed
    paths = server._paths(root)
    assert paths is not None and not paths[0].exists() and not paths[1].exists()  # no socket, no lock left


def test_a_request_that_is_not_a_command_line_is_refused(private_tmp: Path, caller_streams: pytest.CaptureFixture[str]) -> None:
    root = private_tmp / "project"
    root.mkdir()
    ran: list[Any] = []
    serving = Serving(root, lambda argv, inputs, session: ran.append(argv) or 0)
    for request in (b'{"argv": "build", "cwd": "/", "inputs": null}\n', b'{"argv": [1], "cwd": "/", "inputs": null}\n',
                    b'[1, 2]\n'):
        conn = server._connect(root)
        assert conn is not None
        with conn:
            socket.send_fds(conn, [request], [sys.stdout.fileno(), sys.stderr.fileno()])
            assert server._answer(conn) in (2, None)
    assert ran == []
    server.ask(root, "stop")
    assert serving.stopped()


def test_the_server_runs_only_a_build_of_its_own_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = FakeSession()
    assert cli.run_in(["--project", str(tmp_path), "validate"], None, session, tmp_path) == 2
    assert cli.run_in(["--project", str(tmp_path / "other"), "build"], None, session, tmp_path) == 2
    assert "runs only a build of that project" in capsys.readouterr().err
