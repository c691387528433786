"""Execution: a kernel that fails to start is retried once; a notebook's own failure is not."""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
from pathlib import Path

import pytest

from regenpolicy.builder.execute import ExecutionError, _execute
from regenpolicy.models.declaration import read_declaration as read_step
from tests.conftest import ROOT


@pytest.fixture
def step():
    return read_step(ROOT / "notebooks" / "s1_survival.md")


def fake_papermill(monkeypatch, failures: list[Exception], started: bool = False):
    import nbformat
    import papermill

    calls = []

    def execute_notebook(source, output, **kwargs):
        calls.append(kwargs)
        if len(calls) <= len(failures):
            if started:  # the notebook's first cell ran: the kernel had started
                run_dir = Path(kwargs["resources"]["metadata"]["path"])
                (run_dir / "out").mkdir(exist_ok=True)
                (run_dir / "out" / "started").touch()
            raise failures[len(calls) - 1]
        assert output is None  # the build saves the notebook papermill returns, once
        return nbformat.read(source, as_version=4)

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def test_a_kernel_that_fails_to_start_is_retried_once(monkeypatch, tmp_path, step, capsys):
    import zmq

    calls = fake_papermill(monkeypatch, [zmq.error.ZMQError(98, "Address already in use")])
    executed = _execute(step, tmp_path / "context.json", tmp_path, 30)
    assert executed.exists() and len(calls) == 2
    assert calls[0]["execution_timeout"] == 30 and calls[0]["parameters"] == {"context": str(tmp_path / "context.json")}
    assert "the kernel did not start (ZMQError: Address already in use); retrying once" in capsys.readouterr().out


def test_a_second_start_failure_stops_the_build(monkeypatch, tmp_path, step):
    fake_papermill(monkeypatch, [RuntimeError("Kernel died before replying to kernel_info")] * 2)
    with pytest.raises(ExecutionError, match=r"notebooks/s1_survival\.md could not be executed: RuntimeError"):
        _execute(step, tmp_path / "context.json", tmp_path, 30)


def test_a_kernel_that_died_after_starting_is_not_retried(monkeypatch, tmp_path, step):
    calls = fake_papermill(monkeypatch, [RuntimeError("Kernel died")], started=True)
    with pytest.raises(ExecutionError):
        _execute(step, tmp_path / "context.json", tmp_path, 30)
    assert len(calls) == 1


def test_the_cache_key_follows_the_declaration(tmp_path, shipped):
    """A label, unit or check changed in notebooks/<name>.yml re-runs the notebook."""
    from regenpolicy.builder.execute import cache_key
    from regenpolicy.models.declaration import read_declaration

    for name in ("s1_survival.md", "s1_survival.yml"):
        shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    before = cache_key(read_declaration(tmp_path / "s1_survival.md"), {}, {}, "code", shipped)
    yml = tmp_path / "s1_survival.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("label: 全生存率", "label: 生存率"), encoding="utf-8")
    assert cache_key(read_declaration(tmp_path / "s1_survival.md"), {}, {}, "code", shipped) != before


class NotebookClient:  # the name (qualified name) nbclient's output-polling task carries
    async def _async_poll_output_msg(self, started: asyncio.Event) -> None:
        started.set()
        await asyncio.Event().wait()  # pending for good: nothing sets it


class Elsewhere:
    async def _async_poll_output_msg(self, started: asyncio.Event) -> None:
        started.set()
        await asyncio.Event().wait()


def _destroy_pending_task(coroutine_owner: type) -> None:
    """What nbclient does on a cell timeout: cancel a task, never await it, let its loop go."""
    loop = asyncio.new_event_loop()
    started = asyncio.Event()
    task = loop.create_task(coroutine_owner()._async_poll_output_msg(started))
    loop.run_until_complete(started.wait())  # the task is running and pending
    task.cancel()
    loop.close()
    del task
    gc.collect()


def test_a_cell_timeout_leaves_no_asyncio_task_noise_but_other_pending_tasks_are_still_reported(caplog):
    import regenpolicy.builder.execute  # noqa: F401  (installs the filter)

    _destroy_pending_task(NotebookClient)
    assert "Task was destroyed" not in caplog.text
    _destroy_pending_task(Elsewhere)
    assert "Task was destroyed but it is pending" in caplog.text
    logging.getLogger("papermill").error("Timeout waiting for execute reply (1s).")
    logging.getLogger("papermill").error("Kernel died")
    assert "Timeout waiting" not in caplog.text and "Kernel died" in caplog.text


def test_half_written_cache_entries_of_killed_builds_are_removed_and_live_ones_kept(tmp_path):
    import os
    import subprocess
    import sys

    from regenpolicy.builder.execute import remove_stale_entries

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    key = "0123456789abcdef01234567"
    stale = tmp_path / f".{key}.{gone.pid}.140000"
    (stale / "figures").mkdir(parents=True)
    kept = [tmp_path / key, tmp_path / f".{key}.{os.getpid()}.1", tmp_path / f".{key}.{gone.pid}"]
    for path in kept:
        path.mkdir()
    remove_stale_entries(tmp_path)
    assert not stale.exists() and all(p.exists() for p in kept)
