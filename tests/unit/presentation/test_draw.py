"""Downloads drawn outside the kernel, from the frame it saved, kept by content."""

from __future__ import annotations

import json
import os

import altair as alt
import pandas as pd
import pytest

from regenpolicy.presentation import draw, figures


@pytest.fixture
def frame_dir(tmp_path):
    data = pd.DataFrame({"year": [2020, 2025], "amount": [120.0, 340.5], "status": ["printed", "derived"]})
    chart = alt.Chart(data).mark_bar().encode(x="year:O", y=alt.Y("amount:Q", title="金額（億円）"))
    sources = pd.DataFrame({"source_id": ["s1"], "publisher": ["出版"], "title": ["題"], "date": ["2024"]})
    out = tmp_path / "run"
    out.mkdir()
    figures.publish(out, "Z9", chart, data, title="テスト", sources=sources, units={"amount": "億円"},
                    labels={"year": "年", "amount": "金額", "status": "値の種類"})
    figures.publish_table(out, "T9", pd.DataFrame({"国": ["日本"], "制度": ["=HYPERLINK(1)"]}), title="表",
                          sources=sources)
    return out


def test_the_kernel_leaves_a_frame_and_draws_nothing(frame_dir):
    assert sorted(p.name for p in frame_dir.iterdir()) == ["T9.data.csv", "T9.figure.json", "Z9.data.csv",
                                                          "Z9.figure.json"]
    frame = json.loads((frame_dir / "Z9.figure.json").read_text(encoding="utf-8"))
    assert frame["columns"] == ["年", "金額［億円］", "値の種類"] and frame["rows"][1][1] == 340.5
    assert frame["print"]["description"].startswith("図 Z9") and frame["image"]["vconcat"]
    assert json.loads((frame_dir / "T9.figure.json").read_text(encoding="utf-8"))["image"] is None


def test_a_second_draw_of_the_same_frame_is_a_cache_hit(frame_dir, tmp_path):
    cache = tmp_path / "cache"
    written, fresh = draw.draw(frame_dir / "Z9.figure.json", tmp_path / "a", cache)
    assert fresh and sorted(p.name for p in written) == ["Z9.csv", "Z9.png", "Z9.svg", "Z9.xlsx"]
    again, fresh = draw.draw(frame_dir / "Z9.figure.json", tmp_path / "b", cache)
    assert not fresh
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in written]
    table, fresh = draw.draw(frame_dir / "T9.figure.json", tmp_path / "a", cache)
    assert fresh and sorted(p.name for p in table) == ["T9.csv", "T9.xlsx"]  # a table has no image
    assert "'=HYPERLINK(1)" in (tmp_path / "a" / "T9.csv").read_text(encoding="utf-8-sig")


def test_a_changed_value_or_renderer_is_a_miss(frame_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    draw.draw(frame_dir / "Z9.figure.json", tmp_path / "a", cache)
    frame_file = frame_dir / "Z9.figure.json"
    frame_file.write_text(frame_file.read_text(encoding="utf-8").replace("340.5", "341.5"), encoding="utf-8")
    _, fresh = draw.draw(frame_file, tmp_path / "b", cache)
    assert fresh and "341.5" in (tmp_path / "b" / "Z9.csv").read_text(encoding="utf-8-sig")
    monkeypatch.setattr(draw, "renderer", lambda: "vl-convert 99")
    _, fresh = draw.draw(frame_file, tmp_path / "c", cache)
    assert fresh


def test_a_download_is_drawn_on_its_first_request_only(frame_dir, tmp_path):
    cache = tmp_path / "cache"
    png = draw.draw_file(frame_dir, "Z9.png", cache)
    assert png is not None and png.startswith(b"\x89PNG")
    assert draw.draw_file(frame_dir, "Z9.png", cache) == png
    assert len(list((cache / "drawn").glob("??/*"))) == 1
    assert draw.draw_file(frame_dir, "Z8.png", cache) is None  # no such figure
    assert draw.draw_file(frame_dir, "Z9.figure.json", cache) is None  # not a download
    assert draw.draw_file(frame_dir, "../Z9.png", cache) is None
    assert draw.draw_file(frame_dir, "T9.svg", cache) is None  # a table has no image


def test_the_print_svg_fills_its_place_in_the_page(frame_dir, tmp_path):
    html = '<p>x</p>' + draw.print_place("Z9") + draw.print_place("Z8")
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data",
                                                        "data": {"text/html": [html]}}]}], "metadata": {}}
    page = tmp_path / "z.ipynb"
    page.write_text(json.dumps(nb), encoding="utf-8")
    filled, fresh = draw.fill_print(page, frame_dir, tmp_path / "cache")
    shown = json.loads(filled)["cells"][0]["outputs"][0]["data"]["text/html"]
    assert fresh == 1 and '<div class="regen-print"><svg' in shown
    assert '<div class="regen-print"></div>' in shown and "data-regen-print" not in shown  # Z8 has no frame
    assert draw.fill_print(page, frame_dir, tmp_path / "cache")[1] == 0


def test_the_drawer_draws_misses_in_its_workers_and_links_hits(frame_dir, tmp_path):
    import threading

    cache = tmp_path / "cache"
    queued = threading.Event()

    def text() -> str:  # the characters for the font's subset cannot be read: the full font draws
        queued.wait(60)  # (asked before the worker's first job: every job is queued by then)
        raise OSError("unreadable")

    drawer = draw.Drawer(cache, workers=1, text=text)
    try:
        drawer.figures(frame_dir, tmp_path / "a")  # T9's downloads, then Z9's print SVG and downloads
        queued.set()
        assert drawer.wait(downloads=False) == (2, 2)  # the print SVG: what the website waits for
        done = {what: draw._entry(cache, (frame_dir / f"{fig}.figure.json").read_bytes(), what) / "done"
                for fig, what in (("Z9", "print"), ("T9", "downloads"))}
        assert done["print"].exists()
        # the one worker drew the print SVG first, though T9's downloads were asked for before it
        assert drawer.wait() == (2, 2)
        # (≤: a file system's clock may tick coarser than the tens of ms that T9's CSV and xlsx take)
        assert done["print"].stat().st_mtime_ns <= done["downloads"].stat().st_mtime_ns
        drawer.yield_cpu()  # (what a build's own drawer does once the website has what it needs)
        assert [os.getpriority(os.PRIO_PROCESS, p.worker.process.pid) for p in drawer._procs] == [10]
        assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["T9.csv", "T9.xlsx", "Z9.csv", "Z9.png",
                                                                    "Z9.svg", "Z9.xlsx"]
        assert draw.print_svg(frame_dir / "Z9.figure.json", cache)[1] is False  # drawn by the worker
        assert not (cache / "fonts").exists()
        drawer.figures(frame_dir, tmp_path / "b")
        assert drawer.wait() == (2, 0)  # all from the cache
        assert (tmp_path / "b" / "Z9.png").read_bytes() == (tmp_path / "a" / "Z9.png").read_bytes()
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "Z7.figure.json").write_text('{"id": "Z7", "columns": [], "rows": [], "about": [], '
                                               '"print": null, "image": {"mark": 5}}', encoding="utf-8")
        drawer.figures(broken, tmp_path / "c")
        with pytest.raises(draw.DrawError, match=r"Z7\.figure\.json"):
            drawer.wait()
    finally:
        drawer.close()


def test_a_drawn_png_is_compacted_pixel_for_pixel():
    import io

    import numpy as np
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rectangle((20, 20, 120, 180), fill=(31, 95, 139, 255))
    pen.text((150, 90), "K1 44.2", fill=(34, 34, 34, 200))  # anti-aliased text: a few dozen colours
    raw = io.BytesIO()
    image.save(raw, "PNG", compress_level=1)
    packed = draw.compact_png(raw.getvalue())
    assert len(packed) < len(raw.getvalue()) and packed == draw.compact_png(raw.getvalue())
    again = Image.open(io.BytesIO(packed))
    assert again.mode == "P"  # at most 256 colours: a palette
    assert np.array_equal(np.asarray(again.convert("RGBA")), np.asarray(image))
    many = Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8), "RGB")
    raw = io.BytesIO()
    many.save(raw, "PNG", compress_level=0)
    out = Image.open(io.BytesIO(draw.compact_png(raw.getvalue())))
    assert out.mode == "RGB" and np.array_equal(np.asarray(out), np.asarray(many))  # more colours: kept as they are


def test_palette_indices_are_the_binary_search_s_whether_the_hash_separates_the_colours_or_not(monkeypatch):
    import numpy as np

    rng = np.random.default_rng(7)
    for size in (1, 2, 17, 256):
        palette = np.unique(rng.integers(0, 2**32, size * 2, dtype=np.uint32))[:size]
        packed = palette[rng.integers(0, len(palette), (120, 90))]
        expected = np.searchsorted(palette, packed).astype(np.uint8)
        assert np.array_equal(draw.palette_indices(packed, palette), expected)
        monkeypatch.setattr(draw, "HASH_MULTIPLIERS", (0,))  # every colour in one slot: the search answers
        assert np.array_equal(draw.palette_indices(packed, palette), expected)
        monkeypatch.undo()


def test_a_drawer_serves_only_its_own_cache_while_it_is_there(tmp_path) -> None:
    cache = tmp_path / "cache"
    drawer = draw.Drawer(cache)  # (no worker starts until a figure is asked for)
    assert not drawer.serves(cache)  # not made yet
    cache.mkdir()
    assert drawer.serves(cache) and not drawer.serves(tmp_path / "other")
    cache.rmdir()  # make clean
    assert not drawer.serves(cache)


def test_ctrl_c_drops_the_jobs_not_begun_and_keeps_the_workers_signal_to_stop(tmp_path):
    from concurrent.futures import Future

    drawer = draw.Drawer(tmp_path)
    futures: list[Future[None]] = [Future() for _ in range(3)]
    for order, future in enumerate(futures):
        drawer._queue.put((order % 2, order, ("print", [], future)))
    drawer._queue.put((2, 3, None))  # what close() queues after every job
    drawer.drop()
    assert all(f.cancelled() for f in futures)
    assert drawer._queue.get_nowait() == (2, 3, None) and drawer._queue.empty()
    drawer.close()  # (no worker was started: nothing to wait for)


def test_a_drawing_worker_imports_neither_the_models_nor_the_datas_schema():
    """``python -m regenpolicy.presentation.draw`` writes the downloads of tables labelled already: the models'
    words for their codes are imported where a table is labelled (``labels.value_labels``), and with them
    pydantic and the data's schema (0.2 CPU-s in each of a build's drawing workers)."""
    import subprocess
    import sys

    code = ("import sys, regenpolicy.presentation.draw, regenpolicy.presentation.downloads; "
            "print(sorted(m for m in sys.modules if m.startswith(('regenpolicy.models', 'regenpolicy.data.metadata', "
            "'pydantic'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
