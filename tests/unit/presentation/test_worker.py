"""Waits that Ctrl-C can end, whichever thread the signal reached."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future

import pytest

from regenpolicy.presentation.draw import Drawer
from regenpolicy.presentation.worker import result_of


class Interrupted(Exception):
    pass


def interrupt(_signum: int, _frame: object) -> None:
    raise Interrupted


def test_a_wait_for_a_notebook_is_interrupted_whichever_thread_took_the_signal():
    """Ctrl-C raises in the main thread even when the signal reached another thread (here SIGUSR1 raising
    Interrupted, sent to a thread of its own); the notebook's result, given after 5 s, must not be what ends
    the wait."""
    before = signal.signal(signal.SIGUSR1, interrupt)
    future: Future[str] = Future()
    ended: list[str] = []

    def end() -> None:
        ended.append("the notebook ended")
        future.set_result(ended[0])

    late = threading.Timer(5, end)
    try:
        threading.Timer(0.1, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)).start()
        late.start()
        with pytest.raises(Interrupted):
            result_of(future, tick=0.05)
        assert not ended, "the wait saw the signal only once the notebook ended"
    finally:
        late.cancel()
        signal.signal(signal.SIGUSR1, before)
    done: Future[int] = Future()
    done.set_result(3)
    assert result_of(done) == 3
    failed: Future[int] = Future()
    failed.set_exception(TimeoutError("a cell's time-out"))  # (an exception of the job is raised, not waited on)
    with pytest.raises(TimeoutError, match="a cell's"):
        result_of(failed)


def test_a_build_waiting_for_its_drawings_is_interrupted_whichever_thread_took_the_signal(tmp_path):
    """``Drawer.wait`` (the print SVGs before the website, the downloads at the end) waits the same way."""
    drawer = Drawer(tmp_path, workers=1)
    drawing: Future[None] = Future()  # a drawing that takes long (no worker is started here)
    drawer._futures.append(("draw", drawing))
    before = signal.signal(signal.SIGUSR1, interrupt)
    late = threading.Timer(5, lambda: drawing.set_result(None))
    try:
        threading.Timer(0.1, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)).start()
        late.start()
        with pytest.raises(Interrupted):
            drawer.wait()
        assert not drawing.done(), "the wait saw the signal only once the drawing ended"
    finally:
        late.cancel()
        signal.signal(signal.SIGUSR1, before)
