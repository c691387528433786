"""One Chromium for a build's two printers (the report's PDF and the deck's): each keeps its own folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pikepdf

from regenpolicy.builder.pdf import Chromium, Printer


def test_two_printers_print_at_once_in_one_browser_each_reading_only_its_own_folder(tmp_path):
    folders = {name: tmp_path / name for name in ("report", "deck")}
    for folder in folders.values():
        folder.mkdir()
        (folder / "own.css").write_text("p { color: #123456 }", encoding="utf-8")
    chromium = Chromium()
    printers = {name: Printer(folder, tmp_path / f"cache-{name}", chromium=chromium) for name, folder in folders.items()}
    found: dict[str, list[Path]] = {}

    def print_one(name: str) -> None:
        other = folders["deck" if name == "report" else "report"]
        document = (f'<!DOCTYPE html><html><head><link rel="stylesheet" href="own.css">'
                    f'<link rel="stylesheet" href="{(other / "own.css").as_uri()}"></head><body><p>{name}</p></body></html>')
        printer = printers[name]

        async def run() -> list[Path]:
            try:
                return await printer.print_all([(name, document, None)])
            finally:
                await printer.close()

        found[name] = chromium.run(run())

    try:
        threads = [threading.Thread(target=print_one, args=(name,)) for name in folders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert chromium.run(chromium.browser()).is_connected()  # closing a printer left the shared browser
    finally:
        chromium.close()
    for name in folders:
        (pdf,) = found[name]
        with pikepdf.open(pdf) as doc:
            assert len(doc.pages) == 1
        other = folders["deck" if name == "report" else "report"]
        # its own stylesheet was read; the other printer's folder was refused to it
        assert printers[name].refused == [(other / "own.css").as_uri()], (name, printers[name].refused)
