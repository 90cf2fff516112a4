"""Data-derived strings in the report are HTML-escaped (issue 18.2).

The chapters' own markdown cells are rendered with raw HTML allowed (they are the project's
text); everything that comes from data — table cells, column and index headers, captions and
notes, finding values, figure captions, raw HTML outputs of a cell — is escaped.
"""

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402

from crmlab import notebook as nb  # noqa: E402
from crmlab.report import assemble as asm  # noqa: E402

EVIL = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def test_data_derived_strings_are_escaped_and_own_markdown_keeps_its_html(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(nb, "_display", lambda data, meta: shown.append((data, meta)))
    monkeypatch.setattr(nb, "_CURRENT", None)
    frame = pd.DataFrame({EVIL: [EVIL, "b<i>"], "n": [1.5, 2.0]},
                         index=pd.Index([EVIL + "row", "r2"], name=EVIL + "idx"))
    nb.show_table(frame, "t1", caption=EVIL + "cap", note=EVIL + "note")
    nb.finding("f1", EVIL + "val", zh="值 {value}", en="value {value}")
    fig, ax = plt.subplots()
    nb.show_figure(fig, key="g1", caption=EVIL + "fig")

    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_markdown_cell("# Own title\n\nOur <b>own</b> words.",
                                                    metadata={"tags": ["lang-en"]}))
    code = nbformat.v4.new_code_cell("...")
    code.outputs = [nbformat.v4.new_output("display_data", data=data, metadata={nb.META: meta})
                    for data, meta in shown]
    code.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": EVIL + "raw"}))
    book.cells.append(code)
    path = tmp_path / "01_x.ipynb"
    nbformat.write(book, path)

    ch = asm.read_chapter(path, "01_x", 1, "en")
    asm.number_items([ch], "en")
    asm.render_chapter(ch, [ch], "en", asm.Pseudonyms(False), {}, [])
    out = ch.html
    assert "<script" not in out.lower() and "raw" not in out  # raw HTML outputs are dropped
    for suffix in ("", "row", "idx", "cap", "note", "val", "fig"):
        assert ESCAPED + suffix in out, suffix
    assert "b&lt;i&gt;" in out
    assert "Our <b>own</b> words." in out  # the chapter's own markdown may use HTML


def test_generated_narrative_escapes_data_values():
    """A data set named like markup (a user's file name) reaches the narrative as text."""
    from crmlab import narrative

    evil = "<img src=x onerror=alert(1)>.csv"
    text = narrative.render("clv.regularity_result", "en", n_logs=2, n_pays=1, pays=evil)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    both = narrative.render_all("clv.regularity_result", n_logs=2, n_pays=1,
                                pays={"zh": "<b>甲</b>", "en": "<b>A</b>"})
    assert "&lt;b&gt;甲&lt;/b&gt;" in both["zh"] and "<b>" not in both["en"]
