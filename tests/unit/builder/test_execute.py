"""The notebook cache's key and the check of a notebook's declaration, without running a notebook.

(These were checked only through real builds in tests/integration/test_rebuilds.py.)"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from regenpolicy.builder import execute as execute_module
from regenpolicy.builder.execute import (
    ExecutionError,
    Job,
    Result,
    _check_declaration,
    cache_key,
    code_hash,
    notebook_modules,
    run_notebooks,
    source_digest,
    with_text,
)
from regenpolicy.builder.pipeline import prepare
from regenpolicy.builder.profile import load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import load_dataset
from regenpolicy.models.declaration import read_declaration as read_step
from tests.conftest import ROOT, copy_project, edit

PACKAGE = ROOT / "regenpolicy"
FEE = "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850"


@pytest.fixture(scope="module")
def edition():
    """The default edition's registry and checked parameters and settings, prepared in-process."""
    project = Project(ROOT)
    registry = load_registry(project)
    profile = load_profile("default", project, registry)
    dataset, inputs = prepare(project, profile, registry)
    return registry, dataset, inputs


def keys(edition, dataset=None, settings=None, code=None) -> dict[str, str]:
    registry, shipped, inputs = edition
    return {name: cache_key(registry.steps[name], inputs.resolved.parameters[name].values(),
                            settings or inputs.resolved.settings.values(), code or "code", dataset or shipped)
            for name in inputs.notebooks}


def test_the_key_depends_on_the_package_modules_a_notebook_imports_and_no_other(tmp_path):
    package = tmp_path / "regenpolicy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    q1, k1 = read_step(ROOT / "notebooks" / "q1_qc_share.md"), read_step(ROOT / "notebooks" / "k1_fee_gap.md")
    requirements = ROOT / "requirements.txt"

    def code(step) -> str:
        return code_hash(requirements, modules=notebook_modules(step, package))

    q1_names = {p.relative_to(package).as_posix() for p in notebook_modules(q1, package)}
    # its own model, what the presentation layer imports, the packages on the way; not another figure's model
    assert {"models/qc.py", "models/__init__.py", "__init__.py", "presentation/notebook.py", "data/tables.py"} <= q1_names
    assert "models/market.py" not in q1_names and not any(n.startswith("builder/") for n in q1_names)
    before = code(q1), code(k1)
    edit(package / "models" / "qc.py", '"""', '"""An edit. ', )
    assert code(q1) != before[0] and code(k1) == before[1]  # editing qc.py re-runs Q1, not K1
    (package / "models" / "reimbursement.py").write_text(
        (package / "models" / "reimbursement.py").read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert code(k1) != before[1]


def test_the_key_depends_on_the_templates_a_notebook_renders(tmp_path):
    """A figure's page markup comes from the presentation's templates, rendered in the kernel: editing one
    must run the notebooks that render them again, not publish their old markup from the cache."""
    package = tmp_path / "regenpolicy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    k1 = read_step(ROOT / "notebooks" / "k1_fee_gap.md")
    requirements = ROOT / "requirements.txt"

    def code() -> str:
        return code_hash(requirements, modules=notebook_modules(k1, package))

    names = {p.relative_to(package).as_posix() for p in notebook_modules(k1, package)}
    assert "presentation/templates/figure.html.j2" in names
    assert not any(n.startswith("builder/") for n in names)  # (the website's own templates are the build's)
    before = code()
    edit(package / "presentation" / "templates" / "figure.html.j2", "{", "{# an edit #}{")
    assert code() != before


def test_the_key_of_the_site_pdf_and_deck_covers_every_file_of_the_package(tmp_path):
    """The website, PDF and deck are skipped when their key is unchanged: a template the build renders (the
    deck's slides) or a script it ships must change it, not only the modules."""
    package = tmp_path / "regenpolicy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    requirements = ROOT / "requirements.txt"
    before = code_hash(requirements, everything=True, package=package)
    edit(package / "presentation" / "templates" / "deck_slide.html.j2", "{", "{# an edit #}{")
    after = code_hash(requirements, everything=True, package=package)
    assert after != before
    script = package / "builder" / "templates" / "regen-search.js"
    script.write_text("/* an edit */\n" + script.read_text(encoding="utf-8"), encoding="utf-8")
    assert code_hash(requirements, everything=True, package=package) != after


def test_a_module_imported_inside_a_function_or_relatively_counts(tmp_path):
    package = tmp_path / "regenpolicy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "models" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    hidden = {"in_try": "try:\n    pass\nexcept ImportError:\n    from . import in_try\n",
              "in_finally": "try:\n    pass\nfinally:\n    import regenpolicy.models.in_finally\n",
              "in_else": "for _ in ():\n    pass\nelse:\n    from .in_else import X\n",
              "in_class": "class C:\n    def m(self):\n        with open(__file__):\n            from .in_class import X\n",
              "in_match": "match 1:\n    case 1:\n        if True:\n            from .in_match import X\n"}
    for name in hidden:
        (package / "models" / f"{name}.py").write_text("X = 1\n", encoding="utf-8")
    (package / "models" / "helper.py").write_text("def f():\n    from .extra import X\n    return X\n"
                                                  + "".join(hidden.values()), encoding="utf-8")
    nb = tmp_path / "notebooks" / "q1_qc_share.md"
    nb.parent.mkdir()
    shutil.copy(ROOT / "notebooks" / "q1_qc_share.yml", nb.with_suffix(".yml"))
    nb.write_text((ROOT / "notebooks" / "q1_qc_share.md").read_text(encoding="utf-8").replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\nimport regenpolicy.models.helper\n", 1), encoding="utf-8")
    names = {p.relative_to(package).as_posix() for p in notebook_modules(read_step(nb), package)}
    assert {"models/helper.py", "models/extra.py"} | {f"models/{name}.py" for name in hidden} <= names


def test_the_import_graph_is_worked_out_again_when_a_module_changes(tmp_path):
    """The graph is memoised on the package's files: asked again unchanged it is not parsed again,
    and a module that gains an import (or a new module) is seen at once."""
    package = tmp_path / "regenpolicy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    q1 = read_step(ROOT / "notebooks" / "q1_qc_share.md")

    def names() -> set[str]:
        return {p.relative_to(package).as_posix() for p in notebook_modules(q1, package)}

    before = names()
    assert "models/extra.py" not in before and names() == before
    (package / "models" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    assert names() == before  # a new module nothing imports
    edit(package / "models" / "qc.py", '"""', '"""An edit. ')
    (package / "models" / "qc.py").write_text((package / "models" / "qc.py").read_text(encoding="utf-8")
                                              + "\nfrom regenpolicy.models.extra import X  # noqa\n", encoding="utf-8")
    assert names() == before | {"models/extra.py"}


def test_editing_a_table_changes_the_key_of_exactly_its_readers(edition, tmp_path):
    project = copy_project(tmp_path / "project")
    edit(project / "data" / "fee_schedule.csv", FEE, FEE.replace("30850", "40000"))
    edited = load_dataset(project / "data")
    before, after = keys(edition), keys(edition, dataset=edited)
    # the notebooks that declare fee_schedule: K1, its simulation, and the appendix (which reads every table)
    assert {n for n in before if before[n] != after[n]} == {"k1_fee_gap", "k1mc_patient_simulation", "z1_data_appendix"}


def test_a_setting_changes_the_key_of_exactly_the_notebooks_that_declare_it(edition):
    _, _, inputs = edition
    settings = inputs.resolved.settings.values()
    before, after = keys(edition), keys(edition, settings={**settings, "yen_per_point": 20})
    assert {n for n in before if before[n] != after[n]} == {"k1_fee_gap", "k1mc_patient_simulation"}


def test_parameters_source_and_code_are_in_the_key(edition, tmp_path):
    registry, dataset, inputs = edition
    step = registry.steps["c1_lifetime_cost"]
    values = inputs.resolved.parameters["c1_lifetime_cost"].values()
    settings = inputs.resolved.settings.values()
    base = cache_key(step, values, settings, "code", dataset)
    assert cache_key(step, values, settings, "code", dataset) == base  # stable
    assert cache_key(step, {**values, "changed": 1}, settings, "code", dataset) != base
    assert cache_key(step, values, settings, "other code", dataset) != base
    copy = tmp_path / step.path.name
    shutil.copy(step.path.with_suffix(".yml"), copy.with_suffix(".yml"))
    text = step.path.read_text(encoding="utf-8")
    copy.write_text(text + "\nMore words.\n", encoding="utf-8")  # prose: the run is reused (with_text)
    assert cache_key(read_step(copy), values, settings, "code", dataset) == base
    copy.write_text(text.replace("ctx = notebook.open(", "ctx  =  notebook.open(", 1), encoding="utf-8")  # a code cell
    assert cache_key(read_step(copy), values, settings, "code", dataset) != base
    copy.write_text(text.replace("kernelspec:", "kernelspec:\n  x: 1\nkernelspec_:", 1), encoding="utf-8")  # front matter
    assert cache_key(read_step(copy), values, settings, "code", dataset) != base
    copy.write_text(text + "\n````{code-cell} ipython3\nx = 1\n````\n", encoding="utf-8")  # a cell of another fence
    assert cache_key(read_step(copy), values, settings, "code", dataset) != base


def test_a_prose_edit_puts_the_new_prose_around_the_stored_run(tmp_path):
    """A stored run keeps its code cells' outputs; the text around them is the notebook's as it is now."""
    import nbformat

    source = tmp_path / "m.md"
    code = "```{code-cell} ipython3\nprint(1)\n```\n"
    source.write_text(f"# Title\n\nOld words.\n\n{code}\nEnd.\n", encoding="utf-8")
    entry = tmp_path / "entry"
    entry.mkdir()
    run = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\nOld words."),
        nbformat.v4.new_code_cell("print(1)", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
        nbformat.v4.new_markdown_cell("End.")])
    nbformat.write(run, entry / "m.ipynb")
    (entry / "source.sha256").write_text(source_digest(source))
    stored = Result("m", entry / "m.ipynb", entry / "figures", {"n": 1}, False)
    assert with_text(stored, source, entry) == stored  # the text it ran: the run itself
    source.write_text(f"# Title\n\nNew words, more of them.\n\n{code}\nEnd.\n", encoding="utf-8")
    edited = with_text(stored, source, entry)
    assert edited.notebook != stored.notebook and edited.numbers == {"n": 1}
    nb = nbformat.read(edited.notebook, as_version=4)
    assert "New words, more of them." in nb.cells[0].source and "Old" not in nb.cells[0].source
    assert [c.outputs[0]["text"] for c in nb.cells if c.cell_type == "code"] == ["1\n"]
    assert with_text(stored, source, entry).notebook == edited.notebook  # kept by the text's hash


# --- what the notebook read and published, against its front matter ------------------------------------
def run_out(tmp_path: Path, reads: list[str], published: list[str]) -> Path:
    (tmp_path / "reads.txt").write_text("\n".join(reads), encoding="utf-8")
    (tmp_path / "published.json").write_text(json.dumps(published), encoding="utf-8")
    return tmp_path


S1 = ROOT / "notebooks" / "s1_survival.md"


def test_a_notebook_that_read_and_published_what_it_declares_passes(tmp_path):
    step = read_step(S1)
    _check_declaration(step, run_out(tmp_path, list(step.tables), list(step.figures)))


def test_a_declared_table_that_is_never_read_fails_and_names_it(tmp_path):
    step = read_step(S1)
    with pytest.raises(ExecutionError) as info:
        _check_declaration(step, run_out(tmp_path, [t for t in step.tables if t != "sources"], list(step.figures)))
    assert str(info.value) == ("notebooks/s1_survival.md: its declaration (s1_survival.yml: tables) does not match "
                               "what it read (declared but never read: sources)")


def test_a_table_read_but_not_declared_fails_and_names_it(tmp_path):
    step = read_step(S1)
    with pytest.raises(ExecutionError, match=r"read but not declared: drug_loss"):
        _check_declaration(step, run_out(tmp_path, [*step.tables, "drug_loss"], list(step.figures)))


def test_a_figure_published_but_not_declared_fails(tmp_path):
    step = read_step(S1)
    with pytest.raises(ExecutionError, match=r"published S1, K1 but its declaration \(s1_survival.yml: figures\) declares S1"):
        _check_declaration(step, run_out(tmp_path, list(step.tables), ["S1", "K1"]))
    with pytest.raises(ExecutionError, match=r"published no figure"):
        _check_declaration(step, run_out(tmp_path, list(step.tables), []))


def test_a_catalogue_notebook_must_read_the_catalogue(tmp_path):
    step = read_step(ROOT / "notebooks" / "z1_data_appendix.md")
    assert step.reads_everything
    with pytest.raises(ExecutionError, match=r'declares tables: "\*" but never reads the catalogue'):
        _check_declaration(step, run_out(tmp_path, ["sources"], list(step.figures)))


def test_the_code_hash_is_memoised_but_sees_every_write(tmp_path, monkeypatch):
    # the preview asks for it every rebuild: the files are read again only when one was written, also
    # when the write restores the modification time (the change time cannot be set back)
    from regenpolicy.builder import execute

    module = tmp_path / "m.py"
    module.write_text("x = 1\n", encoding="utf-8")
    pins = tmp_path / "requirements.txt"
    pins.write_text("a==1\n", encoding="utf-8")
    first = execute.code_hash(pins, modules=[module])
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    assert execute.code_hash(pins, modules=[module]) == first
    assert reads == []  # memoised
    stat = module.stat()
    module.write_text("x = 2\n", encoding="utf-8")  # same size
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old modification time
    assert execute.code_hash(pins, modules=[module]) != first


def test_a_preview_session_validates_again_only_when_what_validation_reads_was_written(tmp_path):
    from regenpolicy.builder.pipeline import Session, _prepare

    project = Project(copy_project(tmp_path / "project"))
    registry = load_registry(project)
    profile = load_profile("default", project, registry)
    session = Session()
    first = _prepare(project, profile, registry, session)
    edit(project.notebooks_dir / "m1_market.md", "\n# ", "\n追加の一文。\n\n# ")  # a notebook's text: not read by validation
    assert _prepare(project, profile, registry, session) is first
    fees = project.data_dir / "fee_schedule.csv"
    stat = fees.stat()
    edit(fees, "30850", "30851")  # same size, the old modification time: still seen
    os.utime(fees, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = _prepare(project, profile, registry, session)
    assert second is not first
    assert second[0]["fee_schedule"]["points"].astype(str).str.contains("30851").any()
    assert _prepare(project, profile, registry, None) is not second  # a build without a session always validates


def test_a_first_pass_runs_only_the_open_notebook_and_keeps_the_others_last_runs(edition, tmp_path, monkeypatch):
    """The preview's first pass (``only``): the others' last results stand in for runs out of date. Nothing
    runs, so the fork server started early (``start_early``) is stopped before the website is built."""
    closed: list[bool] = []
    monkeypatch.setattr(execute_module, "close_early", lambda: closed.append(True))
    registry, dataset, inputs = edition
    jobs = [Job(registry.steps[n], inputs.resolved.parameters[n].values(), inputs.resolved.settings.values())
            for n in ("k1_fee_gap", "m1_market", "c1_lifetime_cost")]
    requirements = ROOT / "requirements.txt"
    cache = tmp_path / "cache"
    k1 = jobs[0]
    entry = cache / "notebooks" / "k1_fee_gap" / cache_key(
        k1.step, k1.parameters, k1.settings, code_hash(requirements, modules=notebook_modules(k1.step)), dataset)
    (entry / "figures").mkdir(parents=True)
    (entry / "k1_fee_gap.ipynb").write_text("{}")
    (entry / "numbers.json").write_text('{"k1_gap": 1}')
    (entry / "source.sha256").write_text(source_digest(k1.step.path))  # run from the text as it is
    (entry / "done").touch()  # stored: the open notebook's run is there (no kernel needed)
    old = tmp_path / "last"
    old.mkdir()
    for name in ("m1_market", "c1_lifetime_cost"):
        (old / f"{name}.ipynb").write_text("{}")
    stale = {n: Result(n, old / f"{n}.ipynb", old / "figures", {"old": 2}, True) for n in ("m1_market", "c1_lifetime_cost")}
    results = run_notebooks(jobs, dataset, tmp_path / "snapshot", cache, tmp_path / "work", requirements,
                            only="k1_fee_gap", stale=stale)
    assert list(results) == ["k1_fee_gap", "m1_market", "c1_lifetime_cost"]
    assert results["k1_fee_gap"].numbers == {"k1_gap": 1} and results["k1_fee_gap"].notebook.parent == entry
    assert all(results[n].notebook == old / f"{n}.ipynb" and results[n].numbers == {"old": 2}
               and not results[n].executed for n in ("m1_market", "c1_lifetime_cost"))
    assert closed == [True]
