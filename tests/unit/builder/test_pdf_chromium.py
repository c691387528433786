"""One Chromium for a build's two printers (the report's PDF and the deck's): each keeps its own folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pikepdf
import pytest

from regenpolicy.builder.pdf import Chromium, Printer


@pytest.fixture(scope="module")
def chromium():
    """One browser for the module's printers, as a build has."""
    browser = Chromium()
    yield browser
    browser.close()


def test_two_printers_print_at_once_in_one_browser_each_reading_only_its_own_folder(tmp_path, chromium):
    folders = {name: tmp_path / name for name in ("report", "deck")}
    for folder in folders.values():
        folder.mkdir()
        (folder / "own.css").write_text("p { color: #123456 }", encoding="utf-8")
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

    threads = [threading.Thread(target=print_one, args=(name,)) for name in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert chromium.run(chromium.browser()).is_connected()  # closing a printer left the shared browser
    for name in folders:
        (pdf,) = found[name]
        with pikepdf.open(pdf) as doc:
            assert len(doc.pages) == 1
        other = folders["deck" if name == "report" else "report"]
        # its own stylesheet was read; the other printer's folder was refused to it
        assert printers[name].refused == [(other / "own.css").as_uri()], (name, printers[name].refused)


TABLE = ('<!DOCTYPE html><html lang="ja"><head><title>{0}</title></head><body><h1>{0}</h1><table><thead><tr>'
         '<th scope="col">a</th><th scope="col">b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody>'
         '</table></body></html>')


def test_a_document_printed_on_a_page_that_printed_another_joins_to_the_same_bytes(tmp_path, chromium):
    """A printing slot keeps its page (Printer): the element ids Chromium writes then go on from the last
    document's, and the joined file renames them, so that it is the same as from a fresh page."""
    from regenpolicy.builder import pdfjoin

    def printed(cache: Path, names: list[str]) -> Path:
        printer = Printer(tmp_path, cache, chromium=chromium)

        async def run() -> list[Path]:
            try:
                out = []
                for name in names:  # one after the other: the second on the page the first left
                    out += await printer.print_all([(name, TABLE.format(name), None)])
                return out
            finally:
                await printer.close()

        return chromium.run(run())[-1]

    after_another = printed(tmp_path / "cache-a", ["first", "second"])
    alone = printed(tmp_path / "cache-b", ["second"])

    def ids(pdf_file: Path) -> list[str]:
        with pikepdf.open(pdf_file) as pdf:
            return [str(k) for k, _ in pdfjoin._tree(pdf.Root.StructTreeRoot.IDTree, "/Names")]

    assert ids(after_another) and ids(after_another) != ids(alone)  # printed on a page that had printed before
    joined = []
    for part in (after_another, alone):
        out = tmp_path / f"joined-{part.parent.name}.pdf"
        pdfjoin.join([part], out, overlay=None, info={"/Title": "t"}, link_prefix="https://x.invalid/#")
        joined.append(out.read_bytes())
    assert joined[0] == joined[1]


def test_a_document_printed_again_under_its_name_on_the_same_page_prints_its_new_text(tmp_path, chromium):
    """The front matter is printed again, under the same name, when the parts' page numbers moved: the
    page that printed it before reads the new file, not what it showed last."""
    import subprocess

    printer = Printer(tmp_path, tmp_path / "cache", chromium=chromium)

    async def run() -> list[Path]:
        try:
            out = []
            for word in ("ALPHA", "BRAVO"):
                out += await printer.print_all([("front", f"<!DOCTYPE html><html><body><p>{word}</p></body></html>", None)])
            return out
        finally:
            await printer.close()

    first, second = chromium.run(run())
    texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True, check=True).stdout.strip()
             for p in (first, second)]
    assert texts == ["ALPHA", "BRAVO"]
