"""Result tables that render to text, HTML and a DataFrame, with a stable key and a zh/en caption.

Modelled on statsmodels' result summaries: one object, several renderings. Analyses keep their
column and index names as English keys (``share_customers``); a :class:`Table` shows them in the
chosen language through :mod:`crmlab.i18n`, and the report numbers it by ``key`` (表3-1 / Table 3.1).

    >>> tab = Table(frame, key="value.pyramid", caption={"zh": "客户金字塔", "en": "Customer pyramid"})
    >>> tab                      # HTML in a notebook, text in a terminal
    >>> tab.to_frame("en")       # localised copy
    >>> tab.frame                # the raw numbers, English keys
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from . import i18n
from .errors import ParameterError


class Table:
    """A DataFrame with a stable ``key``, a caption in zh and en, and an optional note.

    Parameters
    ----------
    frame : DataFrame
        The numbers, with English column/index keys. Kept as given (not copied).
    key : str
        Stable identifier (``"<module>.<name>"``) the report uses to number and cross-reference.
    caption : str or mapping
        ``{"zh": ..., "en": ...}``, or an i18n key registered by the producing module.
    lang : {"zh", "en"}
        Language used by ``str``/``_repr_html_``; ``to_*`` methods accept another one.
    note : str or mapping, optional
        A source/method note printed under the table, in both languages or as an i18n key.
    float_format : str
        Format spec for floats in text/HTML renderings (the frame itself is never rounded).
    """

    def __init__(self, frame: pd.DataFrame, key: str, caption, *, lang: str = "zh", note=None,
                 float_format: str = ",.4g"):
        if not isinstance(frame, pd.DataFrame):
            raise ParameterError(f"Table {key!r}: frame must be a pandas DataFrame, got "
                                 f"{type(frame).__name__}.")
        self.frame = frame
        self.key = str(key)
        self.caption = caption
        self.lang = i18n.check_lang(lang)
        self.note = note
        self.float_format = float_format

    # -- language ------------------------------------------------------------------------
    @staticmethod
    def _text(value, lang: str) -> str:
        if value is None:
            return ""
        if isinstance(value, Mapping):
            return str(value.get(lang, next(iter(value.values()), "")))
        return i18n.t(str(value), lang)

    def caption_in(self, lang: str | None = None) -> str:
        """The caption in ``lang`` (default: the table's language)."""
        return self._text(self.caption, i18n.check_lang(lang or self.lang))

    def note_in(self, lang: str | None = None) -> str:
        return self._text(self.note, i18n.check_lang(lang or self.lang))

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """A copy with column, index and categorical labels translated into ``lang``."""
        lang = i18n.check_lang(lang or self.lang)
        out = self.frame.copy()
        out.columns = [label(c, lang) for c in out.columns]
        out.index = out.index.map(lambda v: label(v, lang))
        if out.index.name is not None:
            out.index.name = label(out.index.name, lang)
        return out

    # -- renderings ----------------------------------------------------------------------
    def _formatted(self, lang: str) -> pd.DataFrame:
        out = self.to_frame(lang)
        fmt = self.float_format
        for col in out.columns:
            if pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else format(v, fmt))
        return out

    def to_text(self, lang: str | None = None) -> str:
        lang = i18n.check_lang(lang or self.lang)
        body = self._formatted(lang).to_string()
        parts = [self.caption_in(lang), body]
        note = self.note_in(lang)
        if note:
            parts.append(note)
        return "\n".join(p for p in parts if p)

    def to_html(self, lang: str | None = None) -> str:
        lang = i18n.check_lang(lang or self.lang)
        html = self._formatted(lang).to_html(border=0, classes="crmlab-table", escape=True)
        cap = self.caption_in(lang)
        html = html.replace(">\n  <thead>", f">\n  <caption>{_escape(cap)}</caption>\n  <thead>", 1)
        note = self.note_in(lang)
        note_html = f'<p class="crmlab-note">{_escape(note)}</p>' if note else ""
        return f'<div class="crmlab-table-wrap" data-key="{_escape(self.key)}">{html}{note_html}</div>'

    def in_lang(self, lang: str) -> Table:
        """The same table, rendered in another language."""
        return Table(self.frame, self.key, self.caption, lang=lang, note=self.note,
                     float_format=self.float_format)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Table {self.key!r} {self.frame.shape[0]}x{self.frame.shape[1]}>\n{self.to_text()}"

    def _repr_html_(self) -> str:
        return self.to_html()


def label(name, lang: str):
    """The display label of a column/index/category ``name``.

    Looks up ``"col.<name>"`` first (the shared namespace for table headers, so a module can
    label ``share_customers`` once for every table), then ``name`` itself; anything unknown, and
    any non-string, comes back unchanged.
    """
    if not isinstance(name, str):
        return name
    if i18n.has("col." + name):
        return i18n.t("col." + name, lang)
    return i18n.t(name, lang)


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
