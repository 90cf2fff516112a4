"""Chapters found, not listed (issue 13): discovery in file-name order, profile selection
(``chapters`` parameters, ``only``, ``exclude``), ``crmlab new-chapter`` and the conventions
every chapter follows (checked without running anything)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from crmlab.cli import main
from crmlab.errors import ParameterError
from crmlab.notebook import pairing_problems
from crmlab.preflight import READER_OPTIONS
from crmlab.report import load_profile, plan
from crmlab.report.chapters import (
    HOW_TO_RUN_TAG, convention_problems, discover, how_to_run, new_chapter, select,
)

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
STOCK = ["01_value_theory", "02_rfm", "03_clv", "04_segments", "05_strategy"]


def _copy_notebooks(dest: Path) -> Path:
    """The stock chapters (text sources, notebooks and pairing) in a folder of their own."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in NB_DIR.iterdir():
        if path.suffix in (".md", ".ipynb", ".toml"):
            shutil.copy(path, dest / path.name)
    return dest


def _touch_chapter(directory: Path, name: str, params: str = 'lang: str = "zh"  # language') -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        params, metadata={"tags": ["parameters"]})])
    nbformat.write(nb, directory / f"{name}.ipynb")


# --------------------------------------------------------------------------------------------
# discovery and selection
# --------------------------------------------------------------------------------------------
def test_discover_finds_every_chapter_in_file_name_order(tmp_path):
    for name in ("10_last", "02_b", "01_a"):
        _touch_chapter(tmp_path, name)
    (tmp_path / "02_b.md").write_text("text source", encoding="utf-8")
    (tmp_path / "README.md").write_text("not a chapter", encoding="utf-8")
    (tmp_path / "scratch.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "1_short.ipynb").write_text("{}", encoding="utf-8")
    found = discover(tmp_path)
    assert [c.name for c in found] == ["01_a", "02_b", "10_last"]
    assert found[1].text == tmp_path / "02_b.md" and found[0].text is None
    assert found[2].notebook == tmp_path / "10_last.ipynb"


def test_discover_names_the_sync_command_for_a_text_source_without_notebook(tmp_path):
    _touch_chapter(tmp_path, "01_a")
    (tmp_path / "02_new.md").write_text("# new", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"02_new.*jupytext --sync .*02_new\.md"):
        discover(tmp_path)
    with pytest.raises(ParameterError, match="does not exist.*--notebooks DIR"):
        discover(tmp_path / "missing")


def test_select_keeps_file_name_order_and_checks_every_name(tmp_path):
    for name in ("01_a", "02_b", "03_c"):
        _touch_chapter(tmp_path, name)
    found = discover(tmp_path)

    def names(**kw):
        return [c.name for c in select(found, **kw)]

    assert names() == ["01_a", "02_b", "03_c"]
    assert names(parameters={"02_b": {"n": 1}}) == ["01_a", "02_b", "03_c"]  # never restricts
    assert names(only=["03_c", "01_a"]) == ["01_a", "03_c"]  # file-name order, not list order
    assert names(exclude=["02_b"]) == ["01_a", "03_c"]
    assert names(only="02_b") == ["02_b"]
    for kw, what in (({"parameters": {"09_x": {}}}, "chapters"), ({"only": ["04_d"]}, "only"),
                     ({"exclude": ["2_b"]}, "exclude")):
        with pytest.raises(ParameterError, match=f"`{what}` names chapter .* has no notebook"
                                                 ".*chapters found: 01_a, 02_b, 03_c"):
            select(found, **kw)
    with pytest.raises(ParameterError, match="no chapter to build"):
        select(found, only=["01_a"], exclude=["01_a"])


def test_stock_profiles_build_every_chapter_found():
    for name in ("cdnow", "bank-case", "distributor-case", "my-data"):
        prof = load_profile(name, ROOT / "reports" / "profiles")
        assert prof.chapters == {} and prof.only is None and prof.exclude == []
        runs = plan(prof, NB_DIR, ["zh", "en"]) if name != "my-data" else None
        if runs is not None:  # my-data names a file the user has not made yet
            assert [r.chapter for r in runs] == STOCK * 2
            assert [r.number for r in runs[:5]] == [1, 2, 3, 4, 5]


def test_a_profile_gives_chapter_parameters_and_selects_chapters(tmp_path):
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    _touch_chapter(nbdir, "01_a", 'lang: str = "zh"  # language\nseed: int = 1  # seed')
    _touch_chapter(nbdir, "02_b", 'lang: str = "zh"  # language\nseed: int = 1  # seed\n'
                                  'n: int = 3  # draws')
    _touch_chapter(nbdir, "03_c", 'seed: int = 1  # seed')
    base = {"name": "p", "title": "t", "parameters": {"seed": 7}}
    runs = plan(load_profile({**base, "chapters": {"02_b": {"n": 9}}}), nbdir, ["en"])
    # every chapter runs; the one without profile parameters gets the shared ones it declares
    assert [(r.chapter, r.number, r.parameters) for r in runs] == [
        ("01_a", 1, {"seed": 7, "lang": "en"}),
        ("02_b", 2, {"seed": 7, "n": 9, "lang": "en"}),
        ("03_c", 3, {"seed": 7}),
    ]
    runs = plan(load_profile({**base, "only": ["03_c", "02_b"]}), nbdir, ["en"])
    assert [(r.chapter, r.number) for r in runs] == [("02_b", 1), ("03_c", 2)]
    runs = plan(load_profile({**base, "exclude": ["01_a"]}), nbdir, ["en"])
    assert [r.chapter for r in runs] == ["02_b", "03_c"]
    with pytest.raises(ParameterError, match="`only` must be a list of chapter names"):
        load_profile({**base, "only": {"02_b": {}}})
    with pytest.raises(ParameterError, match="`chapters` gives parameters per chapter"):
        load_profile({**base, "chapters": {"02_b": 5}})
    with pytest.raises(ParameterError, match="not a chapter of profile p"):
        plan(load_profile({**base, "exclude": ["01_a"]}), nbdir, ["en"], ["01_a.seed=2"])


# --------------------------------------------------------------------------------------------
# crmlab new-chapter
# --------------------------------------------------------------------------------------------
def test_new_chapter_is_paired_and_follows_every_convention(tmp_path):
    md, ipynb = new_chapter("06_loyalty", tmp_path)
    assert (md, ipynb) == (tmp_path / "06_loyalty.md", tmp_path / "06_loyalty.ipynb")
    assert (tmp_path / "jupytext.toml").exists() and pairing_problems(tmp_path) == []
    assert {k: v for k, v in convention_problems(ipynb).items() if v} == {}
    nb = nbformat.read(ipynb, as_version=4)
    kinds = [(c.cell_type, tuple(c.metadata.get("tags", []))) for c in nb.cells]
    assert ("markdown", ("lang-zh", HOW_TO_RUN_TAG)) in kinds
    assert 'chapter="06_loyalty"' in nb.cells[5].source
    assert nb.cells[5].metadata["jupyter"] == {"source_hidden": True}
    assert sum(c.cell_type == "code" and "solution" in c.metadata.get("tags", [])
               for c in nb.cells) == 1
    text = md.read_text(encoding="utf-8")
    assert "nb.show_table(" in text and "nb.show_figure(" in text and "nb.finding(" in text
    assert how_to_run("06_loyalty", "en") in text and "crmlab run 06_loyalty" in text
    # nothing is overwritten, and a bad name says what a name looks like
    md.write_text("my work", encoding="utf-8")
    with pytest.raises(ParameterError, match="exists already"):
        new_chapter("06_loyalty", tmp_path)
    assert md.read_text(encoding="utf-8") == "my work"
    with pytest.raises(ParameterError, match="two digits, an underscore"):
        new_chapter("loyalty", tmp_path)


def test_new_chapter_in_the_course_folder_is_numbered_after_the_stock_chapters(tmp_path):
    nbdir = _copy_notebooks(tmp_path / "notebooks")
    new_chapter("06_loyalty", nbdir)
    assert pairing_problems(nbdir) == []
    runs = plan(load_profile("cdnow", ROOT / "reports" / "profiles"), nbdir, ["zh"])
    assert [r.chapter for r in runs] == STOCK + ["06_loyalty"]
    six = runs[-1]
    assert six.number == 6
    # the stock profile's shared parameters reach it although the profile never names it
    assert six.parameters["observation_end"] == "1998-06-30" and six.parameters["time_unit"] == "W"


def test_new_chapter_then_build_with_the_stock_profile(tmp_path, capsys, monkeypatch):
    """`crmlab new-chapter` then `crmlab build` (stock profile, no edit): the report has the new
    chapter. Two scaffolded chapters on the CDNOW sample keep this to two short runs."""
    monkeypatch.chdir(ROOT)
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    assert main(["new-chapter", "06_loyalty", "--notebooks", str(nbdir)]) == 0
    said = capsys.readouterr().out
    assert str(nbdir / "06_loyalty.md") in said and "jupytext --sync" in said
    assert main(["new-chapter", "01_intro", "--notebooks", str(nbdir)]) == 0
    capsys.readouterr()
    code = main(["build", "--profile", "cdnow", "--notebooks", str(nbdir), "--lang", "en",
                 "--no-pdf", "--out", str(tmp_path / "out"),
                 "-p", "dataset=cdnow-sample", "--jobs", "2"])
    assert code == 0, capsys.readouterr().err
    html = (tmp_path / "out" / "cdnow" / "en" / "thesis.html").read_text(encoding="utf-8")
    intro, loyalty = html.find("Intro (write the chapter title here)"), html.find(
        "Loyalty (write the chapter title here)")
    assert 0 <= intro < loyalty  # both chapters, in file-name order
    assert "Share of revenue held by the top customers" in html  # its table
    assert "Lorenz curve" in html  # its figure
    assert "customers are observed" in html  # its findings
    assert "How to run this chapter" not in html  # the note to students stays in the notebook
    assert "[@fader2005counting]" not in html  # citations resolved


# --------------------------------------------------------------------------------------------
# the conventions check finds what it checks
# --------------------------------------------------------------------------------------------
def _broken(directory: Path, edit):
    directory.mkdir()
    md, ipynb = new_chapter("07_x", directory)
    nb = nbformat.read(ipynb, as_version=4)
    edit(nb.cells)
    nbformat.write(nb, ipynb)
    return {k: v for k, v in convention_problems(ipynb).items() if v}


def test_convention_problems_name_each_broken_convention(tmp_path):
    def drop_shared(cells):
        cells[4].source = cells[4].source.replace("currency: str", "money: str")

    def drop_reader_option(cells):
        cells[4].source = cells[4].source.replace("decimal: str", "decimal_mark: str")

    def load_without_option(cells):
        cells[6].source = cells[6].source.replace(" timezone=timezone,", "")

    def no_collapse(cells):
        cells[5].metadata.pop("jupyter")

    def untagged_en(cells):
        cells[1].metadata["tags"] = []

    def english_in_zh(cells):
        cells[0].source = "# Only English here"

    def no_how_to(cells):
        del cells[2:4]

    def a_def(cells):
        cells[-1].source = "def f():\n    return 1"

    def frame_math(cells):
        cells[10].source += "\nshare = summary['total_amount'] / 2"

    def no_solution(cells):
        cells[-1].metadata["tags"] = []

    def no_findings(cells):
        cells[-4].source = "x = 1"

    def unknown_citation(cells):
        cells[0].source += " [@nobody2099]"
        cells[1].source += " [@nobody2099]"

    def outputs(cells):
        cells[-1].outputs = [nbformat.v4.new_output("stream", text="1")]

    cases = [
        (drop_shared, "parameters", "lacks the shared parameters ['currency']"),
        (drop_reader_option, "parameters", "lacks the shared parameters ['decimal']"),
        (load_without_option, "setup", "must pass the parameters ['timezone'] to crmlab.datasets"),
        (no_collapse, "setup", "must be collapsed in JupyterLab"),
        (untagged_en, "narrative", "needs exactly one tag lang-zh or lang-en"),
        (english_in_zh, "narrative", "the zh cell holds Chinese"),
        (no_how_to, "narrative", "tagged `how-to-run`"),
        (a_def, "code", "defines a function or class"),
        (frame_math, "code", "frame manipulation belongs in crmlab"),
        (no_solution, "exercises", "add at least one exercise"),
        (no_findings, "findings", "nb.finding"),
        (unknown_citation, "citations", "['nobody2099'] are not in"),
        (outputs, "code", "has saved outputs"),
    ]
    for i, (edit, group, message) in enumerate(cases):
        problems = _broken(tmp_path / str(i), edit)
        assert group in problems, (edit.__name__, problems)
        assert any(message in p for p in problems[group]), (edit.__name__, problems)


@pytest.mark.parametrize("chapter", STOCK)
def test_stock_chapters_declare_the_reader_options_and_pass_them_to_load(chapter, tmp_path):
    """Every stock chapter declares encoding ... timezone and passes them to
    crmlab.datasets.load (tests/test_notebooks.py checks every other convention); the same
    chapter without them is reported, each name in its group."""
    source = NB_DIR / f"{chapter}.ipynb"
    problems = convention_problems(source)
    assert (problems["parameters"], problems["setup"]) == ([], [])
    nb = nbformat.read(source, as_version=4)
    names = "|".join(READER_OPTIONS)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source, removed = re.subn(rf"(?m)^(?:{names}): .*\n", "", params.source)
    load = next(c for c in nb.cells if "crmlab.datasets.load(dataset," in c.source)
    load.source, unpassed = re.subn(rf"\b({names})=\1,\s*", "", load.source)
    assert removed == unpassed == len(READER_OPTIONS)
    broken = tmp_path / source.name
    nbformat.write(nb, broken)
    problems = convention_problems(broken)
    assert f"lacks the shared parameters {list(READER_OPTIONS)}" in problems["parameters"][0]
    assert problems["setup"] == [f"the load cell must pass the parameters {list(READER_OPTIONS)} "
                                 f"to crmlab.datasets.load; copy the call from another chapter "
                                 f"(or from `crmlab new-chapter`)."]


def test_student_handout_keeps_the_how_to_note_and_the_collapsed_setup(tmp_path):
    from crmlab.report.builder import answer_notebook, student_notebook

    _, ipynb = new_chapter("06_loyalty", tmp_path)
    nb = nbformat.read(ipynb, as_version=4)
    for copy in (student_notebook(nb, "zh"), answer_notebook(nb, "zh")):
        notes = [c for c in copy.cells if HOW_TO_RUN_TAG in c.metadata.get("tags", [])]
        assert [c.source for c in notes] == [how_to_run("06_loyalty", "zh")]
        setup = [c for c in copy.cells if "remove-input" in c.metadata.get("tags", [])]
        assert len(setup) == 2 and all(c.metadata["jupyter"]["source_hidden"] for c in setup)
        assert not any("lang-en" in c.metadata.get("tags", []) for c in copy.cells)
    student = student_notebook(nb, "zh")
    assert "exercise-stub" in student.cells[-1].metadata["tags"]
    assert answer_notebook(nb, "zh").cells[-1].source == nb.cells[-1].source  # the solution
