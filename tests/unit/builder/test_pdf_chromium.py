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

        found[name] = chromium.run(printer.print_all([(name, document, None)]))

    threads = [threading.Thread(target=print_one, args=(name,)) for name in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
            out = []
            for name in names:  # one after the other: the second on the page the first left
                out += await printer.print_all([(name, TABLE.format(name), None)])
            return out

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
        out = []
        for word in ("ALPHA", "BRAVO"):
            out += await printer.print_all([("front", f"<!DOCTYPE html><html><body><p>{word}</p></body></html>", None)])
        return out

    first, second = chromium.run(run())
    texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True, check=True).stdout.strip()
             for p in (first, second)]
    assert texts == ["ALPHA", "BRAVO"]


def _pages(chromium: Chromium) -> int:
    async def count() -> int:
        return len((await chromium._context).pages)

    return int(chromium.run(count()))


def test_printers_take_turns_on_the_browsers_pages_and_each_reads_only_its_own_folder(tmp_path, chromium):
    """The pages are the browser's, not a printer's: a page that printed one edition's document prints the
    next edition's (no new context nor page for it), and then reads only inside the new printer's folder."""
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        folder.mkdir()
        (folder / "own.css").write_text("p { color: #123456 }", encoding="utf-8")
    printers = [Printer(folder, tmp_path / f"cache-{folder.name}", chromium=chromium) for folder in folders]
    pages = []
    for printer, other in zip(printers, reversed(folders), strict=True):
        document = ('<!DOCTYPE html><html><head><link rel="stylesheet" href="own.css">'
                    f'<link rel="stylesheet" href="{(other / "own.css").as_uri()}"></head><body><p>x</p></body></html>')
        (pdf,) = chromium.run(printer.print_all([("part", document, None)]))
        assert pdf.is_file()
        pages.append(_pages(chromium))
    assert pages[1] == pages[0]  # the second printer printed on a page the first (or an earlier test) left
    assert [p.refused for p in printers] == [[(folders[1] / "own.css").as_uri()], [(folders[0] / "own.css").as_uri()]]


def test_a_stylesheet_changed_under_the_same_address_is_read_again(tmp_path, chromium):
    """A build server prints each build's edition in the same folder, on pages that printed the last one:
    what a page loaded for the last build is not what it shows for this one."""
    import subprocess

    from PIL import Image

    colours = {"red": (255, 0, 0), "blue": (0, 0, 255)}
    for name, rgb in colours.items():
        printer = Printer(tmp_path, tmp_path / "cache", chromium=chromium)  # a build's
        (tmp_path / "style.css").write_text(f"body {{ background: {name} }}", encoding="utf-8")
        (pdf,) = chromium.run(printer.print_all([("part", '<!DOCTYPE html><html><head><link rel="stylesheet" '
                                                  'href="style.css"></head><body><p>x</p></body></html>', None)]))
        subprocess.run(["pdftoppm", "-r", "10", "-png", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
        with Image.open(tmp_path / f"{name}.png") as image:
            assert image.convert("RGB").getpixel((image.width // 2, image.height // 2)) == rgb


def test_when_one_document_fails_the_printers_other_documents_stop(tmp_path, monkeypatch):
    """A part that cannot be printed fails the PDF at once: the parts still printing are stopped (their
    pages closed), not left printing into a build that has failed."""
    import asyncio

    stopped: list[str] = []

    async def one(self: Printer, name: str, document: str, header: str | None, path: Path) -> None:
        if name == "bad":
            raise RuntimeError("the page crashed")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.append(name)
            raise

    monkeypatch.setattr(Printer, "_one", one)
    printer = Printer(tmp_path, tmp_path / "cache")

    async def run() -> list[str]:
        with pytest.raises(RuntimeError, match="crashed"):
            await printer.print_all([("slow", "<p>1</p>", None), ("bad", "<p>2</p>", None)])
        for _ in range(3):
            await asyncio.sleep(0)  # (the stop is delivered at the task's next step)
        return list(stopped)  # before the loop ends, which would stop what is left anyway

    assert asyncio.run(run()) == ["slow"]
