"""The notebook runtime contract (crmlab.notebook) and the `crmlab run` command."""

from __future__ import annotations

import datetime as dt

import matplotlib
import numpy as np
import pandas as pd
import pytest

from crmlab import notebook as nb
from crmlab.errors import ParameterError
from crmlab.report import read_findings
from crmlab.report.execute import execute_one
from crmlab.report.profiles import ChapterRun
from _chapters import make_beta

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

matplotlib.use("Agg")

PARAMS = '''dataset: str = "cdnow"  # data set name or path
n_bins: int = 5  # quantile bins per RFM dimension
discount: float = 0.1  # annual discount rate
calibration_end: str | None = "1997-09-30"  # end of calibration
observation_end: str = "1998-06-30"  # end of observation
lang: str = "zh"  # report language
weights = [1, 1, 1]  # R, F, M weights
seed: int = 42  # random seed
'''


@pytest.fixture
def chapter_dir(tmp_path, monkeypatch):
    from nbformat.v4 import new_code_cell, new_notebook
    import nbformat

    book = new_notebook(cells=[new_code_cell(PARAMS, metadata={"tags": ["parameters"]})])
    nbformat.write(book, tmp_path / "02_rfm.ipynb")
    monkeypatch.setenv(nb.NOTEBOOKS_ENV, str(tmp_path))
    return tmp_path


@pytest.fixture
def shown(monkeypatch):
    """Capture what the display helpers emit instead of sending it to a kernel."""
    out = []
    monkeypatch.setattr(nb, "_display", lambda data, meta: out.append((data, meta)))
    return out


def test_parse_parameters_reads_types_defaults_and_help():
    declared = nb.parse_parameters(PARAMS)
    assert list(declared) == ["dataset", "n_bins", "discount", "calibration_end",
                              "observation_end", "lang", "weights", "seed"]
    assert declared["n_bins"].default == 5 and declared["n_bins"].type_name == "int"
    assert declared["n_bins"].help == "quantile bins per RFM dimension"
    assert declared["weights"].type_name == "list" and declared["weights"].default == [1, 1, 1]
    with pytest.raises(ParameterError, match="not a literal"):
        nb.parse_parameters("x: int = len([1])  # derived")
    with pytest.raises(ParameterError, match="typed literal assignments"):
        nb.parse_parameters("import os")


def test_check_parameters_rejects_unknown_mistyped_and_inconsistent():
    declared = nb.parse_parameters(PARAMS)
    with pytest.raises(ParameterError) as err:
        nb.check_parameters({"nbins": 4}, declared, where="notebook 02_rfm")
    text = str(err.value)
    assert "unknown parameter 'nbins' (did you mean 'n_bins'?)" in text
    assert "Valid parameters" in text
    assert "n_bins: int = 5  # quantile bins per RFM dimension" in text
    for bad, message in [({"n_bins": 4.5}, "must be int"), ({"n_bins": True}, "must be int"),
                         ({"dataset": 3}, "must be str"), ({"lang": "fr"}, "not supported"),
                         ({"calibration_end": "1998-07-01"}, "must be before observation_end"),
                         ({"observation_end": "June"}, "is not a date")]:
        with pytest.raises(ParameterError, match=message):
            nb.check_parameters(bad, declared)
    ok = nb.check_parameters({"discount": 1, "calibration_end": None,
                              "observation_end": dt.date(1998, 6, 30)}, declared)
    assert ok == {"discount": 1.0, "calibration_end": None, "observation_end": "1998-06-30"}
    assert isinstance(ok["discount"], float)


def test_setup_validates_the_namespace_and_returns_a_context(chapter_dir, monkeypatch):
    monkeypatch.setattr(nb, "_CURRENT", None)
    namespace = {**{k: p.default for k, p in nb.parse_parameters(PARAMS).items()},
                 "In": [], "_i1": "x", "np": np, "lang": "en", "n_bins": 4}
    ctx = nb.setup(namespace, chapter="02_rfm")
    assert ctx.lang == "en" and ctx.seed == 42 and ctx["n_bins"] == 4
    assert ctx.t("notebook.stub") == "# Exercise: write your code here"
    first = np.random.random()
    nb.setup(namespace, chapter="02_rfm")
    assert np.random.random() == first  # seeded
    from matplotlib import font_manager

    # the CJK font is registered (findable by name), the session's rcParams are left alone
    assert "NotoSansCJK" in font_manager.findfont("Noto Sans CJK SC", fallback_to_default=False)
    # a re-run of the setup cell in JupyterLab tolerates the variables later cells made ...
    nb.setup({**namespace, "share": 0.5}, chapter="02_rfm")
    with pytest.raises(ParameterError, match="must be int"):  # ... but still checks types
        nb.setup({**namespace, "n_bins": "4"}, chapter="02_rfm")
    nb._CURRENT = None  # a fresh kernel: papermill's first and only setup call
    with pytest.raises(ParameterError, match="unknown parameter 'n_bin'"):
        nb.setup({**namespace, "n_bin": 3}, chapter="02_rfm")
    with pytest.raises(ParameterError, match="cannot find 09_nope.ipynb"):
        nb.setup(namespace, chapter="09_nope")


def test_display_helpers_carry_metadata(chapter_dir, shown):
    nb.setup({"lang": "en"}, chapter="02_rfm")
    from crmlab.plots import figure

    fig, ax = figure("spend-hist", "Spend per customer")
    ax.plot([1, 2, 3])
    nb.show_figure(fig)
    data, meta = shown[-1]
    assert meta == {"kind": "figure", "key": "spend-hist", "caption": "Spend per customer"}
    assert data["image/png"].startswith("iVBOR")  # base64 PNG
    fig2, ax2 = figure("spend-hist", "Spend per customer")
    ax2.plot([1, 2, 3])
    nb.show_figure(fig2)
    assert shown[-1][0]["image/png"] == data["image/png"]  # same figure, same bytes

    frame = pd.DataFrame({"customer_id": ["a<b>", "c"], "value": [1.5, np.nan]})
    nb.show_table(frame, "top", "Top customers", note="CDNOW")
    data, meta = shown[-1]
    payload = data[nb.TABLE_MIME]
    assert payload["columns"] == ["customer ID", "value"]  # labels in the run's language
    assert payload["id_columns"] == ["customer ID"] and payload["data"] == [["a<b>", 1.5],
                                                                            ["c", None]]
    assert "a&lt;b&gt;" in data["text/html"] and "<b>" not in data["text/html"].split("</p>")[1]
    assert meta["kind"] == "table" and meta["note"] == "CDNOW"
    indexed = frame.set_index("customer_id")
    nb.show_table(indexed, "idx", "By id", max_rows=1)
    payload = shown[-1][0][nb.TABLE_MIME]
    assert payload["id_columns"] == ["__index__"] and payload["n_rows"] == 2
    assert len(payload["data"]) == 1

    value = nb.finding("share", np.float64(0.8123), zh="占比{value:.1%}", en="<i>{value:.1%}</i>")
    data, meta = shown[-1]
    assert value == pytest.approx(0.8123)
    assert meta["value"] == pytest.approx(0.8123) and isinstance(meta["value"], float)
    assert meta["text"] == {"zh": "占比81.2%", "en": "<i>81.2%</i>"}
    assert data["text/markdown"] == "&lt;i&gt;81.2%&lt;/i&gt;"
    with pytest.raises(ParameterError, match="key 'bad key'"):
        nb.finding("bad key", 1, zh="x", en="y")
    with pytest.raises(ParameterError, match="no key/caption"):
        nb.show_figure(matplotlib.pyplot.figure())


def test_show_table_takes_a_table_translates_labels_and_encodes_infinity(chapter_dir, shown):
    import json

    from crmlab.tables import Table

    nb.setup({"lang": "zh"}, chapter="02_rfm")
    frame = pd.DataFrame({"value_share": [0.5, np.inf], "churn_rate": [-np.inf, np.nan]},
                         index=pd.Index([0.2, 0.5], name="top_share"))
    tab = Table(frame, "value.demo", {"zh": "演示表", "en": "Demo"}, note={"zh": "注", "en": "note"})
    nb.show_table(tab, "value.demo-shown")
    data, meta = shown[-1]
    assert meta == {"kind": "table", "key": "value.demo-shown", "caption": "演示表", "note": "注"}
    payload = data[nb.TABLE_MIME]
    assert payload["columns"] == ["价值占比", "流失率"] and payload["index_names"] == ["头部客户比例"]
    assert payload["data"] == [[0.5, "-∞"], ["∞", None]]  # ±inf as ∞, NaN blank
    json.dumps(payload, allow_nan=False)  # strict JSON: no Infinity/NaN tokens
    assert "价值占比" in data["text/html"] and "value_share" not in data["text/html"]
    nb.show_table(tab)  # key and caption from the Table itself
    assert shown[-1][1]["key"] == "value.demo" and shown[-1][1]["caption"] == "演示表"
    nb.show_table(frame.rename_axis("segment"), "en-labels", "x")  # a DataFrame is translated too
    assert shown[-1][0][nb.TABLE_MIME]["index_names"] == ["客户细分"]
    assert nb.localise(frame, "en").columns.tolist() == ["Share of value", "churn rate"]
    with pytest.raises(ParameterError, match="key= and caption="):
        nb.show_table(frame)


def test_localise_translates_describe_labels_and_category_cells():
    """Issue 7: describe() percentiles, grid axis names and text categories were English in zh."""
    stats = pd.DataFrame({"frequency": [1.0, 2, 3, 4], "clv": [5.0, 6, 7, 9]}).describe().T
    zh = nb.localise(stats, "zh")
    assert zh.columns.tolist() == ["计数", "均值", "标准差", "最小值", "25%分位数", "中位数", "75%分位数", "最大值"]
    assert zh.index.tolist() == ["购买频率", "客户终生价值"]
    assert nb.localise(stats, "en").columns.tolist()[4:7] == ["25%", "50%", "75%"]
    grid = pd.DataFrame([[1.0, 2.0]], index=pd.Index([0.1], name="discount_rate"),
                        columns=pd.Index([26, 52], name="horizon"))
    assert nb.localise(grid, "zh").columns.name == "预测期"
    assert nb.localise(grid, "zh").index.name == "贴现率"
    cells = pd.DataFrame({"indicator": pd.Categorical(["consumption_value", "unknown_name"]),
                          "customer_id": ["C1", "C2"], "flag": [True, False]})
    zh = nb.localise(cells, "zh")
    assert zh.iloc[:, 0].tolist() == ["消费价值", "unknown_name"]  # unknown names are kept
    assert zh.iloc[:, 1].tolist() == ["C1", "C2"] and zh.iloc[:, 2].tolist() == ["是", "否"]
    assert cells["flag"].dtype == bool  # the input is not modified


def test_value_with_interval_columns_get_one_header_each(chapter_dir, shown):
    """A value beside its interval, pd.concat({"clv": clv, "p_alive": p}, axis=1) as chapter 03
    shows it, reads 客户终生价值 / 客户终生价值 / 下限..., not 客户终生价值 / 客户终生价值; the
    customer index reads 客户编号 and is still pseudonymised as an id column."""
    nb.setup({"lang": "zh"}, chapter="03_clv")
    part = pd.DataFrame({"clv": [3.0], "lower": [2.0], "upper": [4.0]},
                        index=pd.Index(["A17"], name="customer_id"))
    both = pd.concat({"clv": part, "p_alive": part.rename(columns={"clv": "p_alive"})}, axis=1)
    nb.show_table(both, "clv.demo", "演示")
    payload = shown[-1][0][nb.TABLE_MIME]
    assert payload["columns"] == ["客户终生价值", "客户终生价值 / 下限", "客户终生价值 / 上限",
                                  "存活概率", "存活概率 / 下限", "存活概率 / 上限"]
    assert payload["index_names"] == ["客户编号"] and payload["id_columns"] == ["__index__"]


def test_papermill_run_fails_fast_on_an_unknown_parameter(tmp_path):
    """papermill itself only warns about an unknown parameter; setup() stops the run."""
    source = make_beta(tmp_path)
    declared = nb.notebook_parameters(source)
    run = ChapterRun("02_beta", 2, "zh", source, {"n": 10, "nn": 3}, declared)
    res = execute_one(run, tmp_path / "out" / "02_beta.ipynb", tmp_path / "out" / "02_beta.log")
    assert not res.ok
    assert "cell 4" in res.error and "ParameterError" in res.error and "'nn'" in res.error
    assert read_findings(res.output) == {}  # nothing computed
    assert "start 2 of" not in res.log.read_text(encoding="utf-8")  # a cell failed: run once


def _kernel_that_dies(tmp_path, monkeypatch, deaths: int) -> Path:
    """A ``python3`` kernel spec (first on JUPYTER_PATH) whose first ``deaths`` starts exit
    before the kernel binds its ports, as a kernel that lost the port race does; later starts
    are the real ipykernel. Returns the file that counts the starts."""
    import json
    import sys

    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    starts = tmp_path / "starts.txt"
    launcher = tmp_path / "launcher.py"
    launcher.write_text(
        "import pathlib, runpy, sys\n"
        f"starts = pathlib.Path({str(starts)!r})\n"
        "n = len(starts.read_text().splitlines()) if starts.exists() else 0\n"
        "starts.write_text('start\\n' * (n + 1))\n"
        f"if n < {deaths}:\n"
        "    sys.exit('zmq.error.ZMQError: Address already in use (simulated)')\n"
        "sys.argv = ['ipykernel_launcher'] + sys.argv[1:]\n"
        "runpy.run_module('ipykernel_launcher', run_name='__main__')\n", encoding="utf-8")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return starts


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, monkeypatch):
    """Kernels started together by separate processes can lose the race for their ports and die
    before they answer (nteract/papermill#511; it failed a CI run of this suite): the chapter
    runs on the next start, and the log keeps both."""
    from crmlab.report import execute

    starts = _kernel_that_dies(tmp_path, monkeypatch, deaths=1)
    source = make_beta(tmp_path)
    run = ChapterRun("02_beta", 2, "zh", source, {"n": 50}, nb.notebook_parameters(source))
    res = execute_one(run, tmp_path / "out" / "02_beta.ipynb", tmp_path / "out" / "02_beta.log")
    assert res.ok, res.error
    assert len(starts.read_text().splitlines()) == 2  # the dead start, then the real kernel
    rng = np.random.default_rng(7)
    assert read_findings(res.output)["mean_draw"] == pytest.approx(rng.gamma(2.0, 3.0, 50).mean())
    log = res.log.read_text(encoding="utf-8")
    assert "Kernel died before replying to kernel_info" in log
    assert f"start 2 of {execute.KERNEL_START_ATTEMPTS}" in log


def test_a_kernel_that_never_starts_is_reported_after_the_last_attempt(tmp_path, monkeypatch):
    """Every start dies: the run fails after KERNEL_START_ATTEMPTS starts and says so; a chapter
    whose own cell fails (test_papermill_run_fails_fast_on_an_unknown_parameter) runs once."""
    from crmlab.report import execute

    starts = _kernel_that_dies(tmp_path, monkeypatch, deaths=99)
    source = make_beta(tmp_path)
    run = ChapterRun("02_beta", 2, "zh", source, {"n": 50}, nb.notebook_parameters(source))
    res = execute_one(run, tmp_path / "out" / "02_beta.ipynb", tmp_path / "out" / "02_beta.log")
    assert not res.ok
    assert len(starts.read_text().splitlines()) == execute.KERNEL_START_ATTEMPTS
    assert f"did not start ({execute.KERNEL_START_ATTEMPTS} attempts)" in res.error
    assert "jupyter kernelspec list" in res.error


def test_crmlab_run_command(tmp_path, capsys):
    from crmlab.cli import main

    make_beta(tmp_path)
    code = main(["run", "02_beta", "-p", "n=50", "-p", "lang=en", "--notebooks", str(tmp_path),
                 "--out", str(tmp_path / "runs")])
    assert code == 0
    findings = read_findings(tmp_path / "runs" / "02_beta.ipynb")
    rng = np.random.default_rng(7)
    assert findings["mean_draw"] == pytest.approx(rng.gamma(2.0, 3.0, size=50).mean())
    # a bad parameter is a user error (exit 2) found before any kernel starts
    assert main(["run", "02_beta", "-p", "size=5", "--notebooks", str(tmp_path),
                 "--out", str(tmp_path / "bad")]) == 2
    assert "unknown parameter 'size'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert main(["build", "--profile", "nope", "--lang", "zh"]) == 2
    assert "profile 'nope' not found" in capsys.readouterr().err
