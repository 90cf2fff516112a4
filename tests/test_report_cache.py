"""Incremental builds (issue 16): the execution cache, reused renderings, atomic output.

Two tiny chapters generated here (a kernel run costs a few seconds each): ``01_one`` counts
the lines of the file given as ``orders`` (any parameter naming a file is fingerprinted by
content, as ``dataset`` is), ``02_two`` reads no data. One build primes a cache; each test
starts from the same files and its own copy of that cache, so the order does not matter.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crmlab.errors import BuildError
from crmlab.report import build, handouts, load_profile, plan, read_findings, run_chapter
from crmlab.report import cache as cache_mod
from crmlab.report.cache import Cache, Fingerprints

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
REAL_SHIPPED = cache_mod.shipped_data_files


def md(text, *tags):
    return new_markdown_cell(text, metadata={"tags": list(tags)})


def code(text, *tags):
    return new_code_cell(text, metadata={"tags": list(tags)})


def write_chapter(path: Path, name: str, params: str, body: str, title: str) -> Path:
    nb = new_notebook(cells=[
        md(f"# {title}（中文）\n\n中文叙述。", "lang-zh"),
        md(f"# {title}\n\nEnglish narrative.", "lang-en"),
        code(params, "parameters"),
        code("from crmlab import notebook as nb", "remove-input"),
        code(body),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    out = path / f"{name}.ipynb"
    nbformat.write(nb, out)
    return out


ONE_PARAMS = ('orders: str = "sales.csv"  # a file to count the lines of\n'
              'n: int = 3  # a number\n'
              'fail: bool = False  # fail on purpose\n'
              'lang: str = "zh"  # language')
ONE_BODY = textwrap.dedent("""\
    assert not fail, "failure requested by the test"
    lines = len(open(orders, encoding="utf-8").read().splitlines())
    nb.finding("lines", lines, zh="共{value}行。", en="{value} lines.")
    nb.finding("n", n, zh="n为{value}。", en="n is {value}.")""")
ROWS = ["customer_id,date,amount", "c1,2024-01-01,10", "c2,2024-01-02,20", "c1,2024-02-01,5",
        "c3,2024-02-03,7"]
DATA3 = "\n".join(ROWS[:3]) + "\n"  # 3 lines (a header and two purchases)
DATA4 = "\n".join(ROWS[:4]) + "\n"
DATA5 = "\n".join(ROWS) + "\n"
TWO_PARAMS = 'm: int = 2  # another number\nlang: str = "zh"  # language'
TWO_BODY = 'nb.finding("m2", m * m, zh="m平方为{value}。", en="m squared is {value}.")'


@pytest.fixture(scope="module")
def frozen_code(tmp_path_factory):
    """Key the code and shipped data on snapshots: other sessions edit this work tree while
    the tests run, and any edit (rightly) invalidates every chapter. The kernels still run
    the real package; a test of a code change edits a copy of the snapshot."""
    pkg = tmp_path_factory.mktemp("code") / "crmlab"
    shutil.copytree(cache_mod.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path_factory.mktemp("data")
    for i, f in enumerate(REAL_SHIPPED()):
        shutil.copyfile(f, data / f"{i}-{f.name}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache_mod, "PACKAGE_DIR", pkg)
        mp.setattr(cache_mod, "shipped_data_files", lambda: sorted(data.iterdir()))
        yield SimpleNamespace(package=pkg, data=data)


def reset(root: Path) -> None:
    """The chapters and the data file as every test starts with them."""
    nbdir = root / "notebooks"
    nbdir.mkdir(exist_ok=True)
    write_chapter(nbdir, "01_one", ONE_PARAMS, ONE_BODY, "Chapter one")
    write_chapter(nbdir, "02_two", TWO_PARAMS, TWO_BODY, "Chapter two")
    (root / "sales.csv").write_text(DATA3, encoding="utf-8")


@pytest.fixture(scope="module")
def primed(tmp_path_factory, frozen_code):
    """A project folder and a cache holding one build of :func:`profile` (zh, no PDF)."""
    root = tmp_path_factory.mktemp("project")
    reset(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        res = build(profile(), lang="zh", out=root / "primed-out",
                    notebooks_dir=root / "notebooks", cache=root / "primed", pdf=False,
                    progress=False)
    assert executed(res) == {"01_one", "02_two"}
    return root


@pytest.fixture
def project(primed, tmp_path, monkeypatch):
    """The primed project (files reset), its own output folder and a copy of the cache."""
    reset(primed)
    monkeypatch.chdir(primed)
    shutil.copytree(primed / "primed", tmp_path / "cache")
    return SimpleNamespace(root=primed, out=tmp_path / "out", cache=Cache(tmp_path / "cache"))


def profile(**chapters):
    return {"name": "tiny", "title": {"zh": "小报告", "en": "Tiny report"},
            "parameters": {"orders": "sales.csv"},
            "chapters": {"01_one": {}, "02_two": {}, **chapters}}


def do_build(p, store=None, prof=None, **kw):
    stream = io.StringIO()
    kw.setdefault("pdf", False)
    res = build(prof or profile(), lang="zh", jobs=2, out=p.out,
                notebooks_dir=p.root / "notebooks", cache=p.cache if store is None else store,
                stream=stream, **kw)
    return res, stream.getvalue()


def executed(res) -> set[str]:
    return {r.run.chapter for r in res.results if not r.cached}


# --------------------------------------------------------------------------------------------
# the key: one part at a time, without running anything
# --------------------------------------------------------------------------------------------
def test_each_part_of_the_key_changes_it_and_noise_does_not(project, frozen_code, tmp_path):
    prof = load_profile(profile())
    root = project.root

    def key(fp=None, overrides=None):
        run = plan(prof, root / "notebooks", ["zh"], overrides)[0]  # 01_one
        return (fp or Fingerprints(cwd=root)).chapter(run)

    base, parts = key()
    assert set(parts) >= {"source", "parameters", "data", "code", "locks"}
    assert key()[0] == base  # deterministic
    # parameters: a changed value changes the key; giving the default is the same run
    assert key(overrides=["01_one.n=4"])[0] != base
    assert key(overrides=["01_one.n=3"])[0] == base
    # data: same file name, new content
    (root / "sales.csv").write_text(DATA4, encoding="utf-8")
    changed_data, data_parts = key()
    assert changed_data != base and data_parts["data"] != parts["data"]
    (root / "sales.csv").write_text(DATA3, encoding="utf-8")
    assert key()[0] == base  # content, not time stamps
    # source: outputs and execution counts are noise; a changed line is not
    path = root / "notebooks" / "01_one.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old\n")]
    nb.cells[4].execution_count = 9
    nbformat.write(nb, path)
    assert key()[0] == base
    nb.cells[4].source += "\nprint('one more line')"
    nbformat.write(nb, path)
    assert key()[0] != base
    reset(root)
    assert key()[0] == base
    # code: one changed line anywhere in a copy of the package
    pkg = tmp_path / "pkg" / "crmlab"
    shutil.copytree(frozen_code.package, pkg)
    assert key(Fingerprints(cwd=root, package_dir=pkg))[0] == base
    rfm = pkg / "rfm.py"
    rfm.write_text(rfm.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    assert key(Fingerprints(cwd=root, package_dir=pkg))[0] != base
    # lock files
    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / "requirements.lock").write_text("pandas==2.2.3\n")
    with_lock = key(Fingerprints(cwd=root, project_root=locks))[0]
    (locks / "requirements.lock").write_text("pandas==2.2.2\n")
    assert key(Fingerprints(cwd=root, project_root=locks))[0] not in (with_lock, base)


def test_builtin_data_sets_are_keyed_by_shipped_content(tmp_path, monkeypatch):
    from crmlab.datasets import data_dir

    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    monkeypatch.setenv("CRMLAB_DATA", str(data))
    monkeypatch.setattr(cache_mod, "shipped_data_files", REAL_SHIPPED)
    before = Fingerprints().data({"dataset": "benchmark-grocery"})
    assert before["files"] == {}  # a name, not a file here
    elog = sorted(data.rglob("*.csv"))[0]
    elog.write_text(elog.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert Fingerprints().data({"dataset": "benchmark-grocery"}) != before


# --------------------------------------------------------------------------------------------
# builds
# --------------------------------------------------------------------------------------------
def test_unchanged_rebuild_reuses_everything_byte_for_byte(project):
    tiny = project.out / "tiny"
    # a report folder of the old layout (real folders) is taken over
    (tiny / "zh").mkdir(parents=True)
    (tiny / "zh" / "thesis.html").write_text("old layout")
    first, log1 = do_build(project, pdf=True)
    html, pdf_path = first.outputs["zh"]["html"], first.outputs["zh"]["pdf"]
    assert html == tiny / "zh" / "thesis.html"
    assert executed(first) == set()  # the primed runs
    assert "✓ zh/01_one  cached" in log1 and "✓ zh/02_two  cached" in log1
    assert "thesis.pdf (zh)" in log1  # rendered: new options (with PDF)
    assert read_findings(tiny / "zh" / "executed" / "01_one.ipynb") == {"lines": 3, "n": 3}
    html1, pdf1 = html.read_bytes(), pdf_path.read_bytes()
    assert pdf1[:5] == b"%PDF-" and b"old layout" not in html1
    current1 = (tiny / "current").resolve()

    second, log2 = do_build(project, pdf=True)
    assert executed(second) == set()
    assert "thesis.html, thesis.pdf  cached" in log2 and "thesis.pdf (zh)" not in log2
    assert html.read_bytes() == html1 and pdf_path.read_bytes() == pdf1  # not re-rendered
    # published as a new build, atomically: zh -> current/zh -> .builds/<id>/zh
    assert (tiny / "current").is_symlink() and (tiny / "zh").is_symlink()
    assert os.readlink(tiny / "zh") == "current/zh"
    assert (tiny / "current").resolve() != current1
    assert len(list((tiny / ".builds").iterdir())) <= 2  # this build and the previous one
    assert (tiny / "zh" / "executed" / "01_one.log").read_text().startswith(
        "# reused from the crmlab execution cache")


def test_one_changed_parameter_runs_one_chapter(project):
    res, log = do_build(project, overrides=["02_two.m=5"])
    assert executed(res) == {"02_two"}
    assert "✓ zh/01_one  cached" in log and "zh/02_two  cached" not in log
    findings = read_findings(project.out / "tiny" / "zh" / "executed" / "02_two.ipynb")
    assert findings["m2"] == 25
    html = res.outputs["zh"]["html"].read_text(encoding="utf-8")
    assert "m squared is 25." in html and "m squared is 4." not in html


def test_new_content_under_the_same_file_name_runs_the_chapters_that_read_it(project):
    (project.root / "sales.csv").write_text(DATA5, encoding="utf-8")
    res, _ = do_build(project)
    assert executed(res) == {"01_one"}  # 02_two reads no data
    assert read_findings(project.out / "tiny" / "zh" / "executed" / "01_one.ipynb")[
        "lines"] == 5
    assert "5 lines." in res.outputs["zh"]["html"].read_text(encoding="utf-8")


def test_a_changed_line_in_crmlab_runs_every_chapter(project, frozen_code, tmp_path,
                                                      monkeypatch):
    pkg = tmp_path / "pkg" / "crmlab"
    shutil.copytree(frozen_code.package, pkg)
    monkeypatch.setattr(cache_mod, "PACKAGE_DIR", pkg)
    assert executed(do_build(project)[0]) == set()  # same code, other folder
    (pkg / "segments.py").write_text((pkg / "segments.py").read_text(encoding="utf-8")
                                     + "\nX = 1\n", encoding="utf-8")
    assert executed(do_build(project)[0]) == {"01_one", "02_two"}


def test_failed_run_is_not_cached_and_the_last_good_report_stays(project):
    good, _ = do_build(project)
    before = good.outputs["zh"]["html"].read_bytes()
    n_entries = len(project.cache.entries())
    with pytest.raises(BuildError) as err:
        do_build(project, overrides=["01_one.fail=true"])
    assert "AssertionError: failure requested by the test" in str(err.value)
    assert len(project.cache.entries()) == n_entries  # nothing stored
    failing = plan(load_profile(profile()), project.root / "notebooks", ["zh"],
                   ["01_one.fail=true"])[0]
    assert project.cache.get("executions", Fingerprints().chapter(failing)[0]) is None
    tiny = project.out / "tiny"
    assert good.outputs["zh"]["html"].read_bytes() == before
    assert (tiny / "zh.failed" / "executed" / "01_one.log").exists()
    assert len(list((tiny / ".builds").iterdir())) == 1  # the failed build was discarded


def test_run_and_handouts_share_the_cache_and_no_cache_runs(project):
    from crmlab.cli import build_parser

    stream = io.StringIO()
    one = run_chapter("01_one", notebooks_dir=project.root / "notebooks", out=project.out / "runs",
                      cache=project.cache, stream=stream)
    assert one.cached and "crmlab run: 01_one cached" in stream.getvalue()
    assert read_findings(project.out / "runs" / "01_one.ipynb") == {"lines": 3, "n": 3}
    forced = run_chapter("01_one", notebooks_dir=project.root / "notebooks",
                         out=project.out / "runs", cache=False, stream=io.StringIO())
    assert not forced.cached
    for command in (["build"], ["run", "01_one"], ["handouts"]):
        assert build_parser().parse_args(command + ["--no-cache"]).no_cache is True
    # the handouts' answer keys run with the profile the report builds by default
    assert build_parser().parse_args(["handouts"]).profile == \
        build_parser().parse_args(["build"]).profile == "cdnow"
    kw = dict(lang="zh", out=project.out / "handouts", notebooks_dir=project.root / "notebooks",
              pdf=False, cache=project.cache)
    stream = io.StringIO()
    made = handouts(profile(), **kw, stream=stream)
    # both answer keys are the build's runs: the profile's parameters, as the build ran them
    assert stream.getvalue().count("  cached") == 2
    assert read_findings(made["zh"]["answers"][0]) == {"lines": 3, "n": 3}
    answer = nbformat.read(made["zh"]["answers"][0], as_version=4)
    assert answer.metadata.papermill.parameters == {"orders": "sales.csv", "lang": "zh"}
    page = made["zh"]["answers"][1].read_bytes()
    handouts(profile(), **kw, progress=False)
    assert made["zh"]["answers"][1].read_bytes() == page  # rendered pages reused too


def test_concurrent_builds_of_one_profile_both_succeed(project, frozen_code):
    """Both builds start while a third party holds the folder's lock, so they do overlap."""
    import fcntl
    import time

    store = project.out / "fresh-cache"
    script = textwrap.dedent(f"""\
        from pathlib import Path
        from crmlab.report import build, cache
        cache.PACKAGE_DIR = Path({str(frozen_code.package)!r})  # as the other tests
        cache.shipped_data_files = lambda: sorted(Path({str(frozen_code.data)!r}).iterdir())
        res = build({profile()!r}, lang="zh", out={str(project.out)!r},
                    notebooks_dir="notebooks", cache={str(store)!r}, pdf=False)
        print(sum(r.cached for r in res.results))
        """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tiny = project.out / "tiny"
    tiny.mkdir(parents=True)
    errs = [project.out / f"err{i}.txt" for i in range(2)]
    with open(tiny / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [subprocess.Popen([sys.executable, "-c", script], cwd=project.root, env=env,
                                  stdout=subprocess.PIPE, stderr=open(err, "w"), text=True)
                 for err in errs]
        deadline = time.monotonic() + 120
        while not all(e.exists() and "waiting" in e.read_text() for e in errs):
            assert time.monotonic() < deadline, [e.read_text() for e in errs]
            assert all(p.poll() is None for p in procs), [e.read_text() for e in errs]
            time.sleep(0.2)
        fcntl.flock(held, fcntl.LOCK_UN)  # both are waiting now; let them race
    outs = [p.communicate(timeout=300)[0] for p in procs]
    for p, err in zip(procs, errs):
        assert p.returncode == 0, err.read_text()[-2000:]
    cached = sorted(int(out.split()[-1]) for out in outs)
    assert cached == [0, 2]  # one built, the other waited for it and reused its runs
    html = (tiny / "zh" / "thesis.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>") and "3 lines." in html
    for chapter in ("01_one", "02_two"):
        assert read_findings(tiny / "zh" / "executed" / f"{chapter}.ipynb")
    assert len(list((tiny / ".builds").iterdir())) == 2
    assert not list((store / "tmp").glob("*"))
    assert len(Cache(store).entries()) == 3  # two chapters, one rendering: no duplicates


def test_the_report_fonts_are_made_by_one_process_while_the_others_wait(tmp_path):
    """On a new machine every build needs the lite CJK fonts (half a CPU minute to make). Two
    processes ask for them while a third holds the font folder's lock: both must wait, then
    take the fonts made meanwhile instead of each making its own copy."""
    import fcntl
    import time

    from crmlab.plots import font_files
    from crmlab.report.fonts import FONTS_ENV

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    env = {**os.environ, FONTS_ENV: str(fonts), "PYTHONPATH": str(ROOT)}
    script = ("from crmlab.report.fonts import lite_fonts\n"
              "print(sorted(p.read_bytes()[:40].decode() for p in lite_fonts().values()))")
    errs = [tmp_path / f"err{i}.txt" for i in range(2)]
    with open(fonts / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [subprocess.Popen([sys.executable, "-c", script], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=open(err, "w")) for err in errs]
        deadline = time.monotonic() + 120
        while not all(e.exists() and "waiting for it" in e.read_text() for e in errs):
            assert time.monotonic() < deadline, [e.read_text() for e in errs]
            assert all(p.poll() is None for p in procs), [e.read_text() for e in errs]
            time.sleep(0.2)
        # the holder "makes" the fonts: stand-in bytes that nobody else would write
        for kind, src in font_files().items():
            (fonts / f"{src.stem}-{src.stat().st_size}-lite.otf").write_text(f"made once {kind}")
        fcntl.flock(held, fcntl.LOCK_UN)
    outs = [p.communicate(timeout=120)[0] for p in procs]
    for p, err in zip(procs, errs):
        assert p.returncode == 0, err.read_text()[-2000:]
        assert "(once, about" not in err.read_text()  # it made none itself
    assert outs == ["['made once sans', 'made once serif']\n"] * 2


def _marker_seen_by_a_worker():
    from crmlab.report import concurrency

    return getattr(concurrency, "marker_set_by_the_parent", None)


def test_pdf_and_font_workers_are_started_afresh_not_forked(monkeypatch):
    """A build process has threads (DuckDB's, jemalloc's), and a child forked from it can
    deadlock on a lock one of them held; the workers start as new processes instead, so they
    see nothing the parent changed in memory."""
    from crmlab.report import concurrency

    monkeypatch.setattr(concurrency, "marker_set_by_the_parent", "inherited", raising=False)
    with concurrency.process_pool(1) as pool:
        assert pool.submit(_marker_seen_by_a_worker).result(timeout=120) is None


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------
def test_least_recently_used_entries_are_evicted_first(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(b"x" * 1000)
    store = Cache(tmp_path / "cache", max_bytes="3500")
    keys = [f"{i:064x}" for i in range(1, 5)]
    for k in keys[:3]:
        assert store.put("executions", k, {"notebook.ipynb": blob}) is not None
    old = 1_000_000_000
    for i, k in enumerate(keys[:3]):  # stored in this order, long ago
        os.utime(store._dir("executions", k) / "entry.json", (old + i, old + i))
    assert store.get("executions", keys[0]) is not None  # used again: now the newest
    store.put("executions", keys[3], {"notebook.ipynb": blob})
    assert store.get("executions", keys[1]) is None  # the least recently used went
    for i, k in enumerate((keys[2], keys[0], keys[3])):
        assert store.get("executions", k) is not None
        os.utime(store._dir("executions", k) / "entry.json", (old + 10 + i, old + 10 + i))
    assert store.size() == 3000
    small = Cache(tmp_path / "cache", max_bytes="1.5K")
    assert [e.key for e in small.evict()] == [keys[2], keys[0]]
    assert [e.key for e in small.entries()] == [keys[3]]


def test_cache_place_size_and_clear_command(tmp_path, monkeypatch, capsys):
    from crmlab.cli import main

    monkeypatch.setenv("CRMLAB_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("CRMLAB_CACHE_SIZE", "500M")
    store = Cache()
    assert store.root == tmp_path / "c" and store.max_bytes == 500 * 1024 ** 2
    assert cache_mod.parse_size("2G") == 2 * 1024 ** 3
    blob = tmp_path / "blob"
    blob.write_text("executed")
    store.put("executions", "a" * 64, {"notebook.ipynb": blob})
    store.put("renders", "b" * 64, {"thesis.html": blob})
    assert main(["cache", "info"]) == 0
    assert "executions" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert Cache().entries() == []
    monkeypatch.setenv("CRMLAB_CACHE_SIZE", "lots")
    with pytest.raises(Exception, match="CRMLAB_CACHE_SIZE=500M or 2G"):
        Cache()
