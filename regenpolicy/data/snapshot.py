"""The validated snapshot of the data that notebooks read.

The build validates the tables once, in its own process, and writes exactly what it validated
into a content-addressed store:

    <store>/tables/<table hash>.pkl   the typed frame and its declaration (read-only file)
    <store>/<snapshot key>.json       the manifest: table → hash, and the data folder's name
    <store>/<snapshot key>.pkl        every table's declaration (what the catalogue shows)

A notebook's kernel opens the manifest named in its context and loads only the tables it reads;
it never opens the live CSV files. A file saved while a build runs therefore cannot reach that
build's figures, and the hash a cached result is keyed on is the hash of the frame the notebook
read.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from regenpolicy.data.files import write_whole
from regenpolicy.data.metadata import Table
from regenpolicy.data.tables import Dataset


def _write_once(path: Path, content: bytes) -> None:
    """Write a content-addressed file once, atomically, and make it read-only."""
    if path.exists():
        return

    def write(tmp: Path) -> None:
        tmp.write_bytes(content)
        tmp.chmod(0o444)

    write_whole(path, write)


def snapshot_key(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for name in sorted(dataset.hashes):
        digest.update(f"{name}\0{dataset.hashes[name]}\n".encode())
    return digest.hexdigest()[:24]


def write_snapshot(dataset: Dataset, store: Path) -> Path:
    """Store the validated tables; return the manifest's path (what a notebook's context names)."""
    for name, digest in dataset.hashes.items():
        payload = pickle.dumps((dataset.tables[name], dataset.frames[name]), protocol=5)
        _write_once(store / "tables" / f"{digest}.pkl", payload)
    manifest = {"tables": dict(sorted(dataset.hashes.items())), "data_dir": str(dataset.data_dir)}
    key = snapshot_key(dataset)
    _write_once(store / f"{key}.pkl", pickle.dumps(dataset.tables, protocol=5))
    path = store / f"{key}.json"
    _write_once(path, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


class _LazyFrames(Mapping[str, pd.DataFrame]):
    """The snapshot's frames, each loaded from the store on first use."""

    def __init__(self, store: Path, hashes: dict[str, str], loaded: dict[str, tuple[Table, pd.DataFrame]]):
        self._store, self._hashes, self._loaded = store, hashes, loaded

    def load(self, name: str) -> tuple[Table, pd.DataFrame]:
        if name not in self._loaded:
            with open(self._store / "tables" / f"{self._hashes[name]}.pkl", "rb") as f:
                self._loaded[name] = pickle.load(f)
        return self._loaded[name]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.load(name)[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hashes)

    def __len__(self) -> int:
        return len(self._hashes)


def open_snapshot(manifest: Path, *, allowed: frozenset[str] | None = None,
                  on_read: Callable[[str], None] | None = None) -> Dataset:
    """The dataset a manifest describes, read from the store next to it."""
    spec = json.loads(Path(manifest).read_text(encoding="utf-8"))
    hashes: dict[str, str] = spec["tables"]
    frames = _LazyFrames(Path(manifest).parent, hashes, {})
    with open(Path(manifest).with_suffix(".pkl"), "rb") as f:
        tables: dict[str, Table] = pickle.load(f)
    return Dataset(tables=tables, frames=frames, hashes=dict(hashes), data_dir=Path(spec["data_dir"]),
                   on_read=on_read, allowed=allowed)
