"""The data zip and the stamp can be checked against the files: the zip carries the bytes that were
validated, the stamp lists their ``sha256sum``, a save during the build changes neither, and
``python -m regenpolicy verify`` finds every changed, missing or added file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from regenpolicy.builder import cli
from regenpolicy.builder.editions import stamp, verify_data_zip, write_data_zip
from regenpolicy.builder.profile import Profile
from regenpolicy.data import load_dataset
from tests.conftest import ROOT

PROFILE = b"id: zipcheck\ntitle: \"\xe6\xa4\x9c\xe8\xa8\xbc\"\ndate: \"2026\"\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A data zip written after every input was saved again during the 'build'; the bytes read first."""
    tmp_path = tmp_path_factory.mktemp("zipcheck")
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    # a table as Excel saves it (BOM, CRLF) and an integer written as 70: shipped as they are
    qc = data / "model_parameters.csv"
    qc.write_bytes(b"\xef\xbb\xbf" + qc.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    profile_path = tmp_path / "submissions" / "zipcheck.yaml"
    profile_path.parent.mkdir()
    profile_path.write_bytes(PROFILE)
    dataset = load_dataset(data, {"fee_schedule": "2022"})  # a vintage: shipped under its own path
    first = {f"data/{p.relative_to(data)}": p.read_bytes() for p in data.rglob("*") if p.is_file()}
    first["submissions/zipcheck.yaml"] = PROFILE
    profile = Profile(id="zipcheck", title="検証", path=profile_path, date="2026", source=PROFILE)
    # saves during the build: none of them may reach the zip or the stamp
    for path in [*data.rglob("*.csv"), data / "metadata.yaml"]:
        path.write_bytes(path.read_bytes() + b"# saved later\n")
    profile_path.write_bytes(PROFILE + b"figures: [K1]\n")
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "K1.csv").write_bytes("\ufeff項目,値\r\nA,1\r\n".encode())
    (figures / "K1.xlsx").write_bytes(b"PK not really")
    (figures / "K1.svg").write_bytes(b"<svg/>")  # not shipped in the zip
    record = stamp(profile, dataset, tmp_path)
    out = tmp_path / "zipcheck-data.zip"
    write_data_zip(out, dataset, figures, profile, record)
    return out, data, first


def test_the_zip_carries_the_bytes_that_were_validated_not_a_later_save(built):
    out, _, first = built
    with zipfile.ZipFile(out) as z:
        shipped = {n: z.read(n) for n in z.namelist() if n.startswith(("data/", "submissions/"))}
    assert shipped and all(b"saved later" not in content and b"figures: [K1]" not in content
                           for content in shipped.values())
    assert {n: first[n] for n in shipped} == shipped  # byte for byte: BOM, CRLF, 70 not 70.0
    assert shipped["data/model_parameters.csv"].startswith(b"\xef\xbb\xbf") and b"\r\n" in shipped[
        "data/model_parameters.csv"]


def test_the_stamp_lists_what_sha256sum_prints_for_each_file_as_shipped(built, tmp_path):
    out, _, first = built
    with zipfile.ZipFile(out) as z:
        record = json.loads(z.read("stamp.json"))
        z.extractall(tmp_path / "unpacked")
    assert set(record["data"]) >= {"data/metadata.yaml", "data/sources.csv", "data/vintages/fee_schedule_2022.csv"}
    for name, digest in record["data"].items():
        assert digest == hashlib.sha256(first[name]).hexdigest()
    assert record["profile"] == {"file": "submissions/zipcheck.yaml", "sha256": hashlib.sha256(PROFILE).hexdigest()}
    if shutil.which("sha256sum"):
        printed = subprocess.run(["sha256sum", *record["data"]], cwd=tmp_path / "unpacked", capture_output=True,
                                 text=True, check=True).stdout
        assert {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in printed.splitlines()} == record["data"]
        checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "unpacked", capture_output=True,
                                 text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_good_zip_verifies(built, capsys):
    out, _, _ = built
    assert verify_data_zip(out) == []
    assert cli.main(["verify", str(out)]) == 0
    assert "every file matches its stamp" in capsys.readouterr().out


def rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the zip with its members changed by ``change(name, bytes) -> list of (name, bytes)``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            for name, content in change(info.filename, src.read(info.filename)):
                dst.writestr(name, content)
    return target


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("case, change, named", [
    ("a table edited", lambda n, c: [(n, c.replace(b"FIRM", b"FIRN") if n == "data/sources.csv" else c)],
     "data/sources.csv: SHA-256"),
    ("metadata edited", lambda n, c: [(n, c + b"\n" if n == "data/metadata.yaml" else c)], "data/metadata.yaml: SHA-256"),
    ("a figure edited", lambda n, c: [(n, b"x" if n == "figures/K1.csv" else c)], "figures/K1.csv: SHA-256"),
    ("the profile edited", lambda n, c: [(n, c + b"#" if n.startswith("submissions/") else c)],
     "submissions/zipcheck.yaml: SHA-256"),
    ("a file added", lambda n, c: [(n, c), *([("data/extra.csv", b"a\n1\n")] if n == "README.txt" else [])],
     "data/extra.csv: in the zip, not listed in the stamp"),
    ("a file removed", lambda n, c: [] if n == "data/drug_loss.csv" else [(n, c)],
     "data/drug_loss.csv: listed in the stamp, missing from the zip"),
    ("a file twice", lambda n, c: [(n, c), (n, c)] if n == "data/sources.csv" else [(n, c)],
     "data/sources.csv: appears 2 times"),
    ("the stamp removed", lambda n, c: [] if n == "stamp.json" else [(n, c)], "stamp.json: missing"),
    ("the sums edited", lambda n, c: [(n, c[:-5] + b"x\n" if n == "SHA256SUMS" else c)], "SHA256SUMS: does not match"),
])
def test_a_changed_zip_fails_naming_each_difference(built, tmp_path, capsys, case, change, named):
    out, _, _ = built
    bad = rewrite(out, tmp_path / "bad.zip", change)
    problems = verify_data_zip(bad)
    assert problems and any(named in p for p in problems), problems
    assert cli.main(["verify", str(bad)]) == 1
    assert named in capsys.readouterr().err


def test_a_stamp_edited_to_match_a_tampered_table_still_fails_on_the_data_hash(built, tmp_path):
    out, _, _ = built
    with zipfile.ZipFile(out) as z:
        original = z.read("data/sources.csv")
        record = json.loads(z.read("stamp.json"))
    tampered = original.replace(b"FIRM", b"FIRN")
    record["files"]["data/sources.csv"] = hashlib.sha256(tampered).hexdigest()  # the file list, not the data hash

    def change(name: str, content: bytes) -> list[tuple[str, bytes]]:
        if name == "data/sources.csv":
            return [(name, tampered)]
        if name == "stamp.json":
            return [(name, json.dumps(record).encode())]
        return [(name, content)]

    problems = verify_data_zip(rewrite(out, tmp_path / "bad.zip", change))
    assert any(p.startswith("data/sources.csv: the stamp's data hash") for p in problems), problems


def test_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip")
    assert cli.main(["verify", str(path)]) == 1


def test_the_zip_labels_each_model_parameter_in_japanese_as_its_class_declares(built):
    """The data file stays as validated; beside it a sheet for Excel gives each parameter the label,
    unit and accepted range its model's class declares, and its status in words."""
    import csv
    import io

    out, _, _ = built
    with zipfile.ZipFile(out) as z:
        sheet = z.read("model_parameters_labelled.csv")
        readme = z.read("README.txt").decode()
    assert sheet.startswith(b"\xef\xbb\xbf") and b"\r\n" in sheet
    rows = list(csv.DictReader(io.StringIO(sheet.decode("utf-8-sig"))))
    k1 = {r["パラメータ（プログラム名）"]: r for r in rows if r["図表"] == "K1"}
    assert k1["days_mode"]["名称"] == "投与入院の日数（最頻）" and k1["days_mode"]["単位"] == "日"
    assert (k1["days_mode"]["値"], k1["days_mode"]["値の種類"]) == ("21", "導出")  # data row: 21, derived
    assert (k1["icu_days"]["幅の下限"], k1["icu_days"]["幅の上限"], k1["icu_days"]["値の種類"]) == ("3", "10", "仮定")
    assert k1["days_mode"]["モデルが受け付ける最小"] == "1" and k1["days_mode"]["モデルが受け付ける最大"] == "365"
    c2 = {r["パラメータ（プログラム名）"]: r for r in rows if r["図表"] == "C2"}
    assert c2["autologous_list_price"]["値"] == "32647761" and c2["autologous_list_price"]["幅の下限"] == ""
    assert len(rows) == sum(1 for _ in csv.DictReader(io.StringIO((ROOT / "data/model_parameters.csv").read_text(
        encoding="utf-8-sig"))))
    assert "model_parameters_labelled.csv" in readme


def test_a_formula_in_a_parameters_basis_reaches_the_sheet_as_text():
    from regenpolicy.builder.editions import parameter_sheet

    dataset = load_dataset(ROOT / "data", {})
    frame = dataset.frames["model_parameters"].copy()
    frame.loc[frame.index[0], "basis"] = "=HYPERLINK(\"http://x\",\"y\")"
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(parameter_sheet(frame).decode("utf-8-sig"))))
    basis = [r["根拠"] for r in rows if "HYPERLINK" in r["根拠"]]
    assert basis == ["'=HYPERLINK(\"http://x\",\"y\")"]
