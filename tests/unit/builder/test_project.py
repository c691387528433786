"""A project on disk: what its charts may hold."""

from __future__ import annotations

from regenpolicy.builder.project import Project


def test_the_chart_text_holds_the_datas_notebooks_and_packages_characters(tmp_path):
    for folder, name, text in (("data", "t.csv", "name\n鬱金\n"), ("notebooks", "n.md", "# 薔薇"),
                               ("submissions", "p.yaml", "title: 檸檬"), ("data", "x.bin", "蟋蟀")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(text, encoding="utf-8")
    chars = set(Project(tmp_path).chart_text())
    assert set("鬱金薔薇檸檬") <= chars
    assert not set("蟋蟀") & chars  # not a text file
    assert set("億円") <= chars  # the package's labels and formats
