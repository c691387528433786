"""The preview answers only its author: its own host names, same-origin requests for work, no
framing; malformed addresses get 400 without a traceback; silent connections time out and the
number of connections served at once is bounded. A real server on port 0, in-process."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from regenpolicy.builder.preview import LIVE, Preview, PreviewServer
from regenpolicy.builder.project import Project

DRAFT = b"DRAFT-SUBMISSION-NOT-PUBLISHED"


@dataclass
class Running:
    preview: Preview
    server: PreviewServer
    port: int


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    out = tmp_path / "_build" / "preview"
    release = out / "releases" / "r1"
    (release / "html").mkdir(parents=True)
    (release / "pdf").mkdir()
    (release / "html" / "index.html").write_bytes(b"<html><body>" + DRAFT + b"</body></html>")
    (release / "html" / "data.csv").write_bytes(b"a,b\n1,2\n")
    (out / "current").symlink_to("releases/r1")
    preview = Preview(Project(tmp_path), "default", 0, out)
    preview.connection_timeout = 0.5
    preview.max_connections = 8
    server = preview.server(port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True)  # shutdown() waits up to one poll
    thread.start()
    yield Running(preview, server, server.server_port)
    preview.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            host: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        conn.putheader("Host", host)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def raw_request(port: int, data: bytes) -> bytes:
    """Bytes as an attacker sends them (http.client refuses control characters in a path)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def own(port: int) -> str:
    return f"127.0.0.1:{port}"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LocalHost:{port}"])
def test_the_preview_serves_its_own_host_names(running, host):
    response = request(running.port, "GET", "/", host=host.format(port=running.port))
    assert response.status == 200 and DRAFT in response.body  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", [None, "", "evil.example", "evil.example:{port}", "127.0.0.1", "localhost",
                                  "127.0.0.1:1", "127.0.0.1:{port}.evil.example", "localhost.evil.example:{port}",
                                  "127.0.0.2:{port}", "0.0.0.0:{port}", "2130706433:{port}", "127.1:{port}",
                                  "[::ffff:127.0.0.1]:{port}", "127.0.0.1:{port}@evil.example", " evil.example"])
def test_any_other_host_gets_no_draft(running, host):
    for path in ["/", "/index.html", "/data.csv", LIVE + "live.js", LIVE + "events"]:
        response = request(running.port, "GET", path, host=None if host is None else host.format(port=running.port))
        assert response.status == 421
        assert DRAFT not in response.body and b"a,b" not in response.body  # type: ignore[attr-defined]


def test_a_rebound_name_cannot_ask_for_the_pdf(running):
    response = request(running.port, "POST", LIVE + "pdf", {"Origin": "http://evil.example:1"}, host="evil.example:1")
    assert response.status == 421 and not running.preview.pdf_wanted


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost:{port}"}, {"Origin": "https://127.0.0.1:{port}"},
                                     {"Origin": "http://127.0.0.1:{port}.evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Sec-Fetch-Site": "none"},
                                     {"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}])
def test_work_is_started_only_by_the_previews_own_pages(running, headers):
    sent = {k: v.format(port=running.port) for k, v in headers.items()}
    response = request(running.port, "POST", LIVE + "pdf", sent, host=own(running.port))
    assert response.status == 403 and not running.preview.pdf_wanted


@pytest.mark.parametrize("headers", [{"Origin": "http://127.0.0.1:{port}"}, {"Sec-Fetch-Site": "same-origin"}])
def test_the_previews_own_page_asks_for_the_pdf(running, headers):
    sent = {k: v.format(port=running.port) for k, v in headers.items()}
    response = request(running.port, "POST", LIVE + "pdf", sent, host=own(running.port))
    assert response.status == 202 and running.preview.pdf_wanted


def assert_guarded(headers: http.client.HTTPMessage) -> None:
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method, path, host, extra", [
    ("GET", "/", "own", {}), ("HEAD", "/", "own", {}), ("GET", "/data.csv", "own", {}),
    ("GET", LIVE + "live.js", "own", {}), ("GET", "/missing.html", "own", {}), ("GET", "/%00", "own", {}),
    ("GET", "/", "evil.example", {}), ("POST", LIVE + "pdf", "own", {"Origin": "http://evil.example"}),
    ("POST", LIVE + "pdf", "own", {"Sec-Fetch-Site": "same-origin"}), ("POST", "/x", "own", {}),
    ("PUT", "/", "own", {}), ("DELETE", "/", "own", {}), ("OPTIONS", "/", "own", {}),
])
def test_every_response_forbids_framing_and_sniffing(running, method, path, host, extra):
    response = request(running.port, method, path, extra, host=own(running.port) if host == "own" else host)
    assert_guarded(response.headers)


def test_the_event_stream_forbids_framing_too(running):
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as s:
        s.sendall(f"GET {LIVE}events HTTP/1.1\r\nHost: {own(running.port)}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
    assert b"X-Frame-Options: DENY" in head and b"text/event-stream" in head


@pytest.mark.parametrize("path", ["/%00", "/%00.html", "/index.html%00.png", "/%ff", "/%c0%af", "/%e2%82",
                                  "/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/../../etc/passwd",
                                  "/pdf/..%2f..%2f..%2fx", "/%5c..%5c..%5cx", "/%1b]0;x%07", "/%7f", "/%c2%9b",
                                  "relative", "*"])
def test_a_malformed_address_gets_400_without_a_traceback(running, path, capfd):
    response = raw_request(running.port, f"GET {path} HTTP/1.1\r\nHost: {own(running.port)}\r\n\r\n".encode())
    assert response.startswith(b"HTTP/1.0 400"), response[:200]
    assert DRAFT not in response
    assert request(running.port, "GET", "/", host=own(running.port)).status == 200  # and it still serves
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("path", ["/" + "a" * 5000, "/" + "a/" * 3000, "/" + "%41" * 3000])
def test_an_overlong_address_is_refused(running, path):
    response = raw_request(running.port, f"GET {path} HTTP/1.1\r\nHost: {own(running.port)}\r\n\r\n".encode())
    assert response.startswith((b"HTTP/1.0 414", b"HTTP/1.0 400")), response[:200]


def test_a_long_file_name_is_a_plain_404(running, capfd):
    response = request(running.port, "GET", "/" + "a" * 1000 + ".html", host=own(running.port))
    assert response.status == 404
    assert "Traceback" not in capfd.readouterr().err


def handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def handlers_end(before: set[threading.Thread], within: float = 5) -> None:
    """Wait until every thread that served a request since ``before`` has ended (a thread releases its
    connection's slot as it ends), at most ``within`` seconds."""
    deadline = time.monotonic() + within
    for thread in handler_threads() - before:
        thread.join(max(0.0, deadline - time.monotonic()))


def test_silent_connections_time_out_and_never_hold_more_than_the_bound(running):
    before = handler_threads()
    idle = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(50)]
    try:
        for s in idle:  # the server closes every one: beyond the bound at once, the others after the timeout
            assert s.recv(1) == b""
    finally:
        for s in idle:
            s.close()
    assert running.server.peak <= running.preview.max_connections
    handlers_end(before)
    assert handler_threads() <= before, handler_threads()
    assert running.server.active == 0
    assert request(running.port, "GET", "/", host=own(running.port)).status == 200


def test_a_slow_request_is_cut_off_after_the_timeout(running):
    before = handler_threads()
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: ")  # and never finishes
        # closed by the server (its timeout here is 0.5 s), with nothing sent: the request never came; a
        # server that kept the connection open would make recv raise TimeoutError (the socket's 5 s)
        assert s.recv(65536) == b""
    handlers_end(before)
    assert running.server.active == 0
