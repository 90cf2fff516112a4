"""crmlab leaves the caller's session as it was (issue 18.2): matplotlib backend and rcParams,
the seaborn theme, and logging levels. Each check runs in a fresh interpreter."""

import json
import subprocess
import sys


def _python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         encoding="utf-8")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_and_plotting_leaves_backend_and_rcparams_alone():
    res = _python(r'''
import json
import matplotlib
matplotlib.use("svg")  # the researcher's own choice
import matplotlib.pyplot as plt
before = {k: repr(v) for k, v in plt.rcParams.items()}
import crmlab.plots, crmlab.rfm, crmlab.segments
import crmlab.strategy.figures as F
import crmlab.strategy as S
import pandas as pd
fig, ax = crmlab.plots.figure("t", "标题")
ax.plot([1, 2], [-1, 3]); ax.set_title("负数 −1")
import io
from PIL import Image
buf = io.BytesIO()
fig.savefig(buf, format="png")
dpi = round(Image.open(buf).info["dpi"][0])
fig2 = F.equity_plot(pd.DataFrame({"mean": [1.0, 1.2]}, index=["a", "b"]))
fig2.savefig("/dev/null", format="png")
after = {k: repr(v) for k, v in plt.rcParams.items()}
print(json.dumps({"backend": matplotlib.get_backend(),
                  "changed": sorted(k for k in before if before[k] != after[k]),
                  "grid": bool(ax.xaxis.get_gridlines()[0].get_visible()),
                  "dpi": dpi}))
''')
    assert res["backend"] == "svg"
    assert res["changed"] == []
    assert res["grid"] and res["dpi"] == 150  # the house theme applies to crmlab's figures


def test_crmlab_figures_draw_chinese_in_the_cjk_font_whatever_the_session_font():
    res = _python(r'''
import json
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
import crmlab.plots
fig, ax = crmlab.plots.figure("t", "标题")
ax.set_xlabel("客户")
plt.rcParams["font.sans-serif"] = ["DejaVu Sans"]  # the session changes its own fonts later
fig.canvas.draw()
with crmlab.plots.house_style():
    inside = font_manager.findfont(ax.xaxis.label.get_fontproperties())
outside = font_manager.findfont(ax.xaxis.label.get_fontproperties())
print(json.dumps({"inside": inside, "outside": outside,
                  "session": plt.rcParams["font.sans-serif"]}))
''')
    assert "NotoSansCJK" in res["inside"]
    assert "NotoSansCJK" not in res["outside"]  # only crmlab's figures are styled
    assert res["session"] == ["DejaVu Sans"]


def test_pdf_step_silences_font_logging_only_while_it_writes(tmp_path):
    res = _python(rf'''
import json, logging
logging.getLogger("fontTools").setLevel(logging.DEBUG)
from crmlab.report.pdf import quiet_loggers, write_pdf
seen = {{}}
with quiet_loggers("weasyprint", "fontTools"):
    seen["inside"] = logging.getLogger("fontTools").level
write_pdf("<p>x 客户</p>", {str(tmp_path / "t.pdf")!r})
print(json.dumps({{**seen, "fontTools": logging.getLogger("fontTools").level,
                   "weasyprint": logging.getLogger("weasyprint").level}}))
''')
    assert res["inside"] == 40
    assert res["fontTools"] == 10 and res["weasyprint"] == 0  # as the session set them
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")



def test_legends_added_by_figure_functions_get_the_house_sizes():
    # A legend drawn after crmlab.plots.figure() returns gets the house size only when the
    # function runs inside house_style (the @styled decorator); the session's own size must not
    # leak into crmlab's figures.
    res = _python(r'''
import json
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import crmlab.plots
from crmlab.value import plots as vplots
plt.rcParams["legend.fontsize"] = 31.0
fig = vplots.plot_lorenz(np.arange(1, 50, dtype=float), lang="en")
got = fig.axes[0].get_legend().get_texts()[0].get_fontsize()
with crmlab.plots.house_style():
    from matplotlib.font_manager import FontProperties
    house = FontProperties(size=matplotlib.rcParams["legend.fontsize"]).get_size_in_points()
print(json.dumps({"got": got, "house": house}))
''')
    assert res["got"] == res["house"] != 31.0


def test_every_public_figure_function_is_styled():
    import inspect

    from crmlab.clv import plots as clv_plots
    from crmlab.value import plots as value_plots

    for module in (clv_plots, value_plots):
        names = [n for n, f in inspect.getmembers(module, inspect.isfunction)
                 if n.startswith("plot_") and f.__module__ == module.__name__]
        assert len(names) >= 6, module.__name__
        for name in names:
            assert hasattr(getattr(module, name), "__wrapped__"), f"{module.__name__}.{name} lacks @styled"
