"""Private ids everywhere: no real customer id in any output of a report built without
``--show-ids`` — HTML text, image alt text, figures, raw outputs of ``--show-code``, PDF text.

The data is a user CSV whose ids (``VIP-839201``…) cannot be mistaken for any other number
or word of a report. One tiny chapter shows them every way a chapter can: a table, a printed
line, a bare DataFrame output, a figure with ids on a categorical axis, as labelled points
and in the title. A re-assembly with ``show_ids=True`` from the same executed notebook shows
the real ids, so the greps can fail.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crmlab.pseudonyms import (IDS_MIME, PNG_PSEUDO_MIME, Pseudonyms, pseudonym,
                               pseudonymise_figure, registry_order, replace_ids)
from crmlab.report import assemble as asm
from crmlab.report import build, load_profile

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

IDS = [f"VIP-{839201 + 7 * k}" for k in range(40)]


def vip_csv(path: Path) -> Path:
    rng = np.random.default_rng(5)
    rows = []
    for k, cid in enumerate(IDS):
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        for j in range(1 + k % 4):
            rows.append((cid, (start + pd.Timedelta(days=30 * j)).date().isoformat(),
                         round(float(rng.uniform(5, 95)), 2)))
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(path, index=False)
    return path


def chapter(path: Path, data: Path) -> Path:
    cells = [
        new_markdown_cell("# 会员客户\n\n本章展示会员客户。", metadata={"tags": ["lang-zh"]}),
        new_markdown_cell("# Members\n\nThis chapter shows members.", metadata={"tags": ["lang-en"]}),
        new_code_cell(f'dataset: str = "{data}"  # the user file\n'
                      'lang: str = "zh"  # report language\nseed: int = 1  # random seed',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import crmlab\nfrom crmlab import notebook as nb\n"
                      'ctx = nb.setup(globals(), chapter="01_vip")',
                      metadata={"tags": ["remove-input"]}),
        new_code_cell("tx = crmlab.datasets.load(dataset)\nnb.data_ledger(tx)\n"
                      "totals = tx.frame.groupby('customer_id')['amount'].sum()"
                      ".sort_values(ascending=False)"),
        new_code_cell("nb.show_table(totals.head(5).rename('amount').reset_index(), 'top', "
                      "'消费最高的会员')"),
        new_code_cell("print('best customer:', totals.index[0])"),
        new_code_cell("totals.head(3)"),
        new_code_cell("top = totals.head(4)\n"
                      "fig, ax = crmlab.plots.figure('members', '会员消费')\n"
                      "ax.bar(list(top.index), top.values, label=f'{top.index[0]} first')\n"
                      "for cid, v in top.items():\n    ax.annotate(cid, (cid, v))\n"
                      "ax.set_title(f'best: {top.index[0]}')\nax.legend()\nnb.show_figure(fig)"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path / "01_vip.ipynb")
    return path / "01_vip.ipynb"


PROFILE = {"name": "vip", "title": {"zh": "会员报告", "en": "Member report"},
           "author": {"zh": "作者", "en": "Author"}, "date": "2026",
           "chapters": {"01_vip": {}}}
DATA_URI = re.compile(r"data:[a-z0-9/+.\-]+;base64,[A-Za-z0-9+/=]+")


def visible_text(page: str) -> str:
    """The HTML without embedded data (fonts, images): what a reader or a search sees."""
    return DATA_URI.sub("", page)


def leaked(text: str) -> list[str]:
    return [cid for cid in IDS if cid in text or cid.split("-")[1] in text]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    nbdir = root / "notebooks"
    nbdir.mkdir()
    data = vip_csv(root / "orders.csv")
    chapter(nbdir, data)
    result = build(PROFILE, lang="zh", show_code=True, out=root / "out", notebooks_dir=nbdir,
                   progress=False)
    assert result.ok, [r.describe_failure() for r in result.failures]
    html_path = result.outputs["zh"]["html"]
    return {"html": html_path.read_text(encoding="utf-8"), "pdf": result.outputs["zh"]["pdf"],
            "executed": html_path.parent / "executed" / "01_vip.ipynb", "data": data}


def outputs(executed: Path) -> list[dict]:
    nb = nbformat.read(executed, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_no_real_id_in_html_text_alt_text_or_pdf(report):
    from pypdf import PdfReader

    page = report["html"]
    assert leaked(visible_text(page)) == []
    alts = re.findall(r'alt="([^"]*)"', page)
    assert alts and leaked(" ".join(alts)) == []
    reader = PdfReader(str(report["pdf"]))
    pdf_text = unicodedata.normalize("NFKC", "".join(p.extract_text() or "" for p in reader.pages))
    assert "best customer" in pdf_text  # the raw outputs are in the PDF...
    assert leaked(pdf_text) == []  # ...with pseudonyms


def test_one_numbering_for_tables_raw_outputs_and_figures(report):
    frame = pd.read_csv(report["data"], dtype={"customer_id": str}, parse_dates=["date"])
    order = registry_order(frame["customer_id"])
    ledger = next(o for o in outputs(report["executed"]) if IDS_MIME in o.get("data", {}))
    assert ledger["data"][IDS_MIME] == order
    totals = pd.read_csv(report["data"], dtype={"customer_id": str}).groupby(
        "customer_id")["amount"].sum().sort_values(ascending=False)
    best = pseudonym(order.index(totals.index[0]) + 1)
    page = visible_text(report["html"])
    table = page.split('id="tab-')[1].split("</table>")[0]
    assert f"<td>{best}</td>" in table
    assert f"best customer: {best}" in page  # the printed line
    second = pseudonym(order.index(totals.index[1]) + 1)
    assert re.search(rf"^{second}\s", page, re.M)  # the bare DataFrame output


def test_figures_are_drawn_again_with_pseudonyms(report):
    figure = next(o for o in outputs(report["executed"])
                  if (o.get("metadata") or {}).get("crmlab", {}).get("kind") == "figure")
    real, pseudo = figure["data"]["image/png"], figure["data"][PNG_PSEUDO_MIME]
    assert real != pseudo
    shown = asm.figure_bytes(report["html"])
    assert base64.b64decode(pseudo) in shown and base64.b64decode(real) not in shown


def test_show_ids_shows_the_real_ids(report):
    """The control: the same executed chapter assembled with show_ids=True."""
    ch = asm.read_chapter(report["executed"], "01_vip", 1, "zh", show_code=True)
    prof = load_profile({**PROFILE, "name": "handout"})
    page = asm.assemble([ch], profile=prof, lang="zh", bib={}, show_ids=True,
                        embed_fonts=False)
    text = visible_text(page)
    assert "best customer: VIP-" in text and "<td>VIP-" in text
    real = next(o for o in outputs(report["executed"]) if PNG_PSEUDO_MIME in o.get("data", {}))
    assert base64.b64decode(real["data"]["image/png"]) in asm.figure_bytes(page)


def test_registry_order_reveals_nothing_of_the_ids():
    """Pseudonym order is a keyed hash: not the ids' order, not first-purchase order (ids are
    often issued in that order, as in CDNOW), and not the row order."""
    order = registry_order(IDS)
    assert sorted(order) == sorted(IDS) and order != IDS and order != sorted(IDS)
    shuffled = list(np.random.default_rng(0).permutation(IDS)) * 2  # repeats and row order
    assert registry_order(shuffled) == order
    ranks = [order.index(cid) for cid in IDS]
    assert abs(np.corrcoef(ranks, range(len(IDS)))[0, 1]) < 0.5


def test_replace_ids_finds_ids_not_numbers():
    ids = Pseudonyms()
    ids.register(["VIP-839201", "1234"])
    assert replace_ids("VIP-839201", ids.known) == "C00001"
    assert replace_ids(" 1234 ", ids.known) == " C00002 "  # a numeric id standing alone
    assert replace_ids("1234 orders from VIP-839201.", ids.known) == "1234 orders from C00001."
    assert replace_ids("VIP-8392011", ids.known) == "VIP-8392011"  # only whole tokens
    assert ids("VIP-0") == "C00003"  # unregistered ids are numbered after the registered
    off = Pseudonyms(enabled=False)
    off.register(["VIP-839201"])
    assert off.text("VIP-839201") == "VIP-839201" and off("VIP-839201") == "VIP-839201"


def test_pseudonymise_figure_rewrites_every_label():
    import matplotlib.pyplot as plt

    ids = Pseudonyms()
    ids.register(["VIP-839201", "VIP-839208"])
    fig, ax = plt.subplots()
    try:
        ax.bar(["VIP-839201", "VIP-839208"], [3.0, 5.0], label="VIP-839201 first")
        ax.annotate("VIP-839208", (1, 5.0))
        ax.set_title("best: VIP-839208")
        ax.legend()
        assert pseudonymise_figure(fig, ids.known)
        fig.canvas.draw()
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        texts = [t.get_text() for t in ax.texts]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert ticks == ["C00001", "C00002"]
        assert texts == ["C00002"] and ax.get_title() == "best: C00002"
        assert legend == ["C00001 first"]
        fig2, ax2 = plt.subplots()
        ax2.bar(["north", "south"], [1.0, 2.0])
        assert not pseudonymise_figure(fig2, ids.known)  # nothing to hide
        plt.close(fig2)
    finally:
        plt.close(fig)
